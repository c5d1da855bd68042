"""STOW-RS (postdicom.server.stow): the multipart body read as it arrives, the browser upload's
path, the PS3.18 response, who may store where, and a broker that is down."""

from __future__ import annotations

import base64
import io
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pydicom
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from kombu.exceptions import OperationalError

from postdicom import get_api
from postdicom.dicom import described
from postdicom.dicom.comments import ERROR_COMMENT, PRIVATE_CREATOR, read_comment
from postdicom.local.models import AuditRecord, InstanceHeaderRecord, InstanceRecord, StudyRecord, UploadBatch
from postdicom.local.tasks import draw_thumbnails
from postdicom.local.uploads import queue
from postdicom.local.uploads.ingest import ingest_items, run_batch
from postdicom.local.uploads.storage import open_stored, stored_sha256
from postdicom.server.auth import verified_passwords
from postdicom.server.multipart import MultipartError, TooLarge, save_parts
from postdicom.server.stow import CANNOT_UNDERSTAND, DOES_NOT_MATCH, chosen_institutions
from postdicom.types import AuditAction
from tests.conftest import PASSWORD
from tests.uploads.conftest import local_storage
from tests.uploads.files import make_image

BOUNDARY = "DICOM DATA BOUNDARY"  # PostDICOM's own client's boundary, with its spaces
CONTENT_TYPE = f'multipart/related; type="application/dicom"; boundary="{BOUNDARY}"'


def body_of(*contents: bytes, boundary: str = BOUNDARY, part_type: str = "application/dicom") -> bytes:
    out = io.BytesIO()
    for content in contents:
        out.write(f"--{boundary}\r\nContent-Type: {part_type}\r\n\r\n".encode())
        out.write(content)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue()


def basic(name: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{PASSWORD}".encode()).decode()}


_AFTER_COMMIT = (queue.batch_finish, queue.items_ingest)
_REAL_SEND = queue._send


@pytest.fixture(autouse=True)
def ingest_now(settings, tmp_path, monkeypatch):
    """What a worker would do, done at once when the message is queued (a test's transaction
    never commits, so nothing waits for the commit here; the broker test does, on a database
    that commits)."""
    verified_passwords.clear()
    chosen_institutions.clear()
    local_storage(settings, tmp_path)
    monkeypatch.setattr(queue, "batch_finish", lambda pk: queue._send(queue.FINISH_BATCH, pk))
    monkeypatch.setattr(queue, "items_ingest", lambda pks: queue._send(queue.INGEST_ITEMS, list(pks)))

    def send(task: str, *args: object) -> None:
        if task == queue.FINISH_BATCH:
            run_batch(args[0])  # type: ignore[arg-type]
        elif task == queue.DRAW_THUMBNAILS:
            draw_thumbnails(args[0])  # type: ignore[arg-type]
        else:
            ingest_items(args[0])  # type: ignore[arg-type]

    monkeypatch.setattr("postdicom.local.uploads.queue._send", send)


def image(tmp_path: Path, name: str, **kwargs) -> tuple[bytes, pydicom.Dataset]:
    path = make_image(tmp_path / name, **kwargs)
    return path.read_bytes(), pydicom.dcmread(path)


def stow(client: Client, url: str, body: bytes, user: str = "sam", content_type: str = CONTENT_TYPE, **extra):
    return client.post(url, body, content_type=content_type, headers=basic(user), **extra)


def test_stow_to_the_base_url_stores_and_answers_ps318(staff_user, clinic, tmp_path):
    first, ds1 = image(
        tmp_path, "a.dcm", study_uid="1.2.826.0.1.3680043.8.498.1", series_uid="1.2.826.0.1.3680043.8.498.1.1"
    )
    second, ds2 = image(tmp_path, "b.dcm", study_uid=ds1.StudyInstanceUID, series_uid=ds1.SeriesInstanceUID)
    response = stow(Client(), "/dicomweb/", body_of(first, second))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/dicom+json"
    answer = response.json()
    assert answer["00081198"] == {"vr": "SQ"}  # no failure: an empty sequence
    assert answer["00081190"]["Value"][0].endswith(f"/dicomweb/studies/{ds1.StudyInstanceUID}")
    referenced = answer["00081199"]["Value"]
    assert [r["00081155"]["Value"][0] for r in referenced] == [ds1.SOPInstanceUID, ds2.SOPInstanceUID]
    assert referenced[0]["00081150"]["Value"] == [ds1.SOPClassUID]
    assert referenced[0]["00081190"]["Value"][0].endswith(
        f"/studies/{ds1.StudyInstanceUID}/series/{ds1.SeriesInstanceUID}/instances/{ds1.SOPInstanceUID}"
    )
    stored = InstanceRecord.objects.filter(stored=True, sop_instance_uid__in=[ds1.SOPInstanceUID, ds2.SOPInstanceUID])
    assert stored.count() == 2
    batch = UploadBatch.objects.get()
    assert batch.created_by == staff_user
    assert batch.institution == clinic
    assert batch.source == "api"
    assert not any((Path(tmp_path) / "uploads" / "stow").iterdir())  # the request's files are gone
    # The same again: already there, so a success (idempotent) with the warning 0111 (202).
    again = stow(Client(), "/dicomweb/studies", body_of(first))
    assert again.status_code == 202
    (duplicate,) = again.json()["00081199"]["Value"]
    assert duplicate["00081155"]["Value"] == [ds1.SOPInstanceUID]
    assert duplicate["00081196"]["Value"] == [0x0111]
    assert duplicate["00000902"]["Value"] == ["The instance was already stored; nothing changed."]
    assert again.json()["00081198"] == {"vr": "SQ"}


def test_bad_parts_fail_alone_202_and_all_bad_409(staff_user, tmp_path):
    good, _ds = image(tmp_path, "a.dcm")
    response = stow(Client(), "/dicomweb/studies", body_of(good, b"not a dicom file at all" * 10))
    assert response.status_code == 202
    answer = response.json()
    assert len(answer["00081199"]["Value"]) == 1
    [failed] = answer["00081198"]["Value"]
    assert failed["00081197"] == {"vr": "US", "Value": [CANNOT_UNDERSTAND]}
    assert "stow-00002.dcm" in response["X-Error-Reason"]
    nothing = stow(Client(), "/dicomweb/", body_of(b"garbage"))
    assert nothing.status_code == 409
    assert nothing.json()["00081199"] == {"vr": "SQ"}


def test_instances_of_another_study_than_the_address_are_refused(staff_user, tmp_path):
    mine, _ds = image(tmp_path, "a.dcm", study_uid="1.2.3.4.5")
    other, other_ds = image(tmp_path, "b.dcm", study_uid="1.2.3.4.6")
    response = stow(Client(), "/dicomweb/studies/1.2.3.4.5", body_of(mine, other))
    assert response.status_code == 202
    [failed] = response.json()["00081198"]["Value"]
    assert failed["00081155"]["Value"] == [other_ds.SOPInstanceUID]
    assert failed["00081197"]["Value"] == [DOES_NOT_MATCH]
    # The reason, as ErrorComment: an LO of at most 64 characters that pydicom reads without
    # a warning, and the whole sentence in Rayport's private element.
    assert "1.2.3.4.6" in read_comment(failed, ERROR_COMMENT)
    assert len(failed[ERROR_COMMENT]["Value"][0]) <= 64
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        item = pydicom.Dataset.from_json(failed)
    assert item.ErrorComment == failed[ERROR_COMMENT]["Value"][0]
    assert item.private_block(0x0009, PRIVATE_CREATOR)[0x01].value == read_comment(failed, ERROR_COMMENT)
    assert not InstanceRecord.objects.filter(sop_instance_uid=other_ds.SOPInstanceUID).exists()


@pytest.mark.parametrize(
    "content_type",
    [
        "application/dicom",
        "multipart/mixed; boundary=x",
        'multipart/related; type="application/dicom+xml"; boundary=x',
    ],
)
def test_other_media_types_415(staff_user, content_type):
    response = stow(Client(), "/dicomweb/studies", b"x", content_type=content_type)
    assert response.status_code == 415
    assert "multipart/related" in response.json()["error"]


def test_broken_bodies_400(staff_user, tmp_path):
    good, _ds = image(tmp_path, "a.dcm")
    unclosed = body_of(good)[: -len(f"--{BOUNDARY}--\r\n")]
    for body in (b"no boundary anywhere", unclosed, f"--{BOUNDARY}--\r\n".encode()):
        response = stow(Client(), "/dicomweb/", body)
        assert response.status_code == 400, body[:40]
        assert response.json()["error"]


def test_size_limit_413_announced_or_not(settings, staff_user, tmp_path):
    settings.RAYPORT_STOW_MAX_BYTES = 1024 * 1024
    settings.RAYPORT_STOW_MAX_MB = 1
    big = body_of(b"\0" * (1024 * 1024 + 10))
    response = stow(Client(), "/dicomweb/", big)
    assert response.status_code == 413
    assert "at most 1 MB" in response.json()["error"]
    # A body longer than it says is stopped at the limit too, while it is read.
    with pytest.raises(TooLarge):
        save_parts(io.BytesIO(big), BOUNDARY, tmp_path, limit=1024 * 1024, max_parts=10)


def _chunked(body: bytes, *, terminated: bool) -> dict[str, Any]:
    """The environ of a chunked request as a WSGI server gives it: no Content-Length, and the
    server's input stream (ended at the body's end when the server says so)."""
    return {
        "CONTENT_LENGTH": "",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
        **({"wsgi.input_terminated": True} if terminated else {}),
    }


def test_a_chunked_body_is_read_where_the_server_ends_its_stream(staff_user, tmp_path):
    """As gunicorn gives it (tests/postdicom/server/test_stow_real_server.py sends one for real)."""
    content, ds = image(tmp_path, "a.dcm")
    response = stow(Client(), "/dicomweb/", body_of(content), **_chunked(body_of(content), terminated=True))
    assert response.status_code == 200, response.content
    assert InstanceRecord.objects.filter(sop_instance_uid=ds.SOPInstanceUID, stored=True).exists()


def test_a_chunked_body_the_server_cannot_give_is_411_not_an_empty_body(staff_user, tmp_path):
    """Django's development server does not end its stream at a chunked body's end: Django
    would read the body as empty and answer 400 "no boundary"; the client is told why."""
    content, _ds = image(tmp_path, "a.dcm")
    response = stow(Client(), "/dicomweb/", body_of(content), **_chunked(body_of(content), terminated=False))
    assert response.status_code == 411
    assert "chunked" in response.json()["error"]
    assert "Content-Length" in response["X-Error-Reason"]
    assert not InstanceRecord.objects.exists()


def test_parser_streams_across_pieces(tmp_path, monkeypatch):
    """Boundaries split between two reads, a preamble, parts of every size around a piece."""
    monkeypatch.setattr("postdicom.server.multipart.PIECE", 7)
    contents = [b"", b"a", b"\r\n--DICOM DATA BOUNDAR", b"x" * 50, bytes(range(256))]
    body = b"preamble\r\n" + body_of(*contents)
    parts = save_parts(io.BytesIO(body), BOUNDARY, tmp_path, limit=10_000, max_parts=10)
    assert [p.path.read_bytes() for p in parts] == contents
    assert [p.size for p in parts] == [len(c) for c in contents]
    assert parts[0].content_type == "application/dicom"
    with pytest.raises(MultipartError):
        save_parts(io.BytesIO(body), BOUNDARY, tmp_path, limit=10_000, max_parts=4)


def test_never_reads_the_whole_body(staff_user, tmp_path, monkeypatch):
    """Every read of the request is one piece (1 MiB) at most."""
    sizes: list[int] = []
    from django.core.handlers.wsgi import LimitedStream

    real = LimitedStream.read

    def read(self, size=-1):
        sizes.append(size)
        return real(self, size)

    monkeypatch.setattr(LimitedStream, "read", read)
    payload, _ds = image(tmp_path, "a.dcm", rows=1024, columns=1024)  # 2 MB of pixels
    response = stow(Client(), "/dicomweb/", body_of(payload, payload))
    assert response.status_code == 202  # the second copy is a duplicate: warned 0111
    assert sizes
    assert all(0 < size <= 1024 * 1024 for size in sizes)


def test_institution_parameter_and_default(staff_user, clinic, other_clinic, tmp_path):
    staff_user.profile.institutions.add(other_clinic)
    first, _ = image(tmp_path, "a.dcm")
    second, _ = image(tmp_path, "b.dcm")
    assert stow(Client(), f"/dicomweb/?institution={other_clinic.uuid}", body_of(first)).status_code == 200
    assert stow(Client(), "/dicomweb/", body_of(second)).status_code == 200
    names = [b.institution.name for b in UploadBatch.objects.order_by("id")]
    # Default: the first by name ("Clínica Central" before "North Imaging").
    assert names == ["North Imaging", "Clínica Central"]


def test_outsider_cannot_store_into_another_institution(outsider, clinic, tmp_path):
    payload, _ = image(tmp_path, "a.dcm")
    response = stow(Client(), f"/dicomweb/?institution={clinic.uuid}", body_of(payload), user="otto")
    assert response.status_code == 400
    assert response.json()["error"] == "Choose one of your institutions."
    assert not UploadBatch.objects.exists()


def test_limited_user_cannot_join_an_order_they_do_not_see(staff_user, limited_user, clinic, tmp_path):
    study = "1.2.826.0.1.3680043.8.498.55"
    staffs, _ = image(tmp_path, "a.dcm", study_uid=study)
    assert stow(Client(), "/dicomweb/", body_of(staffs)).status_code == 200
    theirs, ds = image(tmp_path, "b.dcm", study_uid=study, patient_name="Other^Person")
    response = stow(Client(), "/dicomweb/", body_of(theirs), user="lia")
    assert response.status_code == 200
    staff_order = StudyRecord.objects.get(study_uid=study, order__created_by=staff_user).order
    limited_order = StudyRecord.objects.get(study_uid=study, order__created_by=limited_user).order
    assert staff_order != limited_order  # a new order of their own, not the staff's
    assert not InstanceRecord.objects.filter(series__study__order=staff_order, sop_instance_uid=ds.SOPInstanceUID)
    # The limited user still cannot read the staff's instances, the order being invisible.
    listing = Client().get(f"/dicomweb/studies/{study}/instances", headers=basic("lia")).json()
    assert [i["00080018"]["Value"][0] for i in listing] == [ds.SOPInstanceUID]


def test_joins_the_order_with_the_same_study_as_browser_uploads(staff_user, clinic, tmp_path):
    study = "1.2.826.0.1.3680043.8.498.56"
    first, _ = image(tmp_path, "a.dcm", study_uid=study)
    second, _ = image(tmp_path, "b.dcm", study_uid=study)
    stow(Client(), "/dicomweb/", body_of(first))
    stow(Client(), "/dicomweb/", body_of(second))
    assert StudyRecord.objects.filter(study_uid=study).count() == 1
    assert InstanceRecord.objects.filter(series__study__study_uid=study, stored=True).count() == 2


def test_anonymized_on_request(staff_user, tmp_path):
    payload, ds = image(tmp_path, "a.dcm", patient_name="Real^Name")
    response = stow(Client(), "/dicomweb/?anonymize=basic", body_of(payload))
    assert response.status_code == 202  # stored, with the data changed: WarningReason B000
    [referenced] = response.json()["00081199"]["Value"]
    assert referenced["00081196"]["Value"] == [0xB000]
    assert referenced["00000902"]["Value"][0]  # why: anonymized
    assert not InstanceRecord.objects.filter(sop_instance_uid=ds.SOPInstanceUID).exists()  # UIDs remapped
    assert stow(Client(), "/dicomweb/?anonymize=yes", body_of(payload)).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_broker_down_503_with_retry_after_and_nothing_lost(settings, staff_user, tmp_path, monkeypatch):
    settings.RAYPORT_STOW_IN_REQUEST = False  # through the worker

    def refuse(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(queue, "batch_finish", _AFTER_COMMIT[0])
    monkeypatch.setattr(queue, "items_ingest", _AFTER_COMMIT[1])
    monkeypatch.setattr("postdicom.local.uploads.queue._send", _REAL_SEND)

    monkeypatch.setattr("postdicom.handoff.current_app.signature", refuse)
    payload, ds = image(tmp_path, "a.dcm")
    response = stow(Client(), "/dicomweb/", body_of(payload))
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "try again" in response.json()["error"]
    # Kept: the workers' sweep stores it once the broker is back.
    batch = UploadBatch.objects.get()
    run_batch(batch.pk)
    assert InstanceRecord.objects.filter(sop_instance_uid=ds.SOPInstanceUID, stored=True).exists()


def test_still_storing_after_the_wait_503(settings, staff_user, tmp_path, monkeypatch):
    settings.RAYPORT_STOW_IN_REQUEST = False  # through the worker
    settings.RAYPORT_STOW_WAIT_SECONDS = 0
    monkeypatch.setattr("postdicom.local.uploads.queue._send", lambda task, *args: None)  # no worker
    payload, _ = image(tmp_path, "a.dcm")
    response = stow(Client(), "/dicomweb/", body_of(payload))
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "still being stored" in response.json()["error"]


def test_session_callers_need_the_csrf_token(staff_user, tmp_path):
    payload, _ = image(tmp_path, "a.dcm")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_user)
    refused = browser.post("/dicomweb/", body_of(payload), content_type=CONTENT_TYPE)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]
    scripted = Client(enforce_csrf_checks=True)
    assert stow(scripted, "/dicomweb/", body_of(payload)).status_code == 200


def test_anonymous_401_and_get_on_base_405(db):
    assert Client().post("/dicomweb/", b"", content_type=CONTENT_TYPE).status_code == 401
    assert Client().get("/dicomweb/").status_code == 405


def test_audited_as_the_caller_from_their_address(staff_user, tmp_path):
    from postdicom.local.models import AuditRecord

    payload, _ = image(tmp_path, "a.dcm")
    stow(Client(REMOTE_ADDR="198.51.100.4"), "/dicomweb/", body_of(payload))
    started = AuditRecord.objects.get(action="upload.started")
    assert started.actor == staff_user
    assert started.ip == "198.51.100.4"
    assert started.detail["source"] == "api"
    assert get_api().upload_progress(actor=staff_user, batch_id=UploadBatch.objects.get().uuid).file_count == 1


@pytest.mark.parametrize("name", ["institution", "folder", "anonymize"])
@pytest.mark.parametrize(
    "value", ["9" * 20, "x" * 5000, "a\x00b", "not-a-uuid", "00000000-0000-0000-0000-000000000000"]
)
def test_bad_query_values_are_clear_400s(staff_user, tmp_path, name, value):
    payload, _ = image(tmp_path, "a.dcm")
    response = stow(Client(), f"/dicomweb/?{urlencode({name: value})}", body_of(payload))
    assert response.status_code == 400
    assert response.json()["error"]
    assert not InstanceRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_stored_in_the_request_needs_no_broker(settings, staff_user, tmp_path, monkeypatch):
    """RAYPORT_STOW_IN_REQUEST: the request stores the batch itself (as a worker would), so a
    broker that is down changes nothing; the batch is done when the answer comes."""
    settings.RAYPORT_STOW_IN_REQUEST = True

    def refuse(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(queue, "batch_finish", _AFTER_COMMIT[0])
    monkeypatch.setattr(queue, "items_ingest", _AFTER_COMMIT[1])
    monkeypatch.setattr("postdicom.local.uploads.queue._send", _REAL_SEND)
    monkeypatch.setattr("postdicom.handoff.current_app.signature", refuse)
    first, ds = image(tmp_path, "a.dcm")
    bad = b"not DICOM" * 20
    response = stow(Client(), "/dicomweb/", body_of(first, bad))
    assert response.status_code == 202
    assert response.json()["00081199"]["Value"][0]["00081155"]["Value"] == [ds.SOPInstanceUID]
    assert UploadBatch.objects.get().state == "done"
    assert InstanceRecord.objects.filter(sop_instance_uid=ds.SOPInstanceUID, stored=True).exists()


@pytest.mark.django_db(transaction=True)
def test_thumbnails_of_a_stow_stored_in_the_request_are_drawn_by_a_worker(settings, staff_user, tmp_path, monkeypatch):
    """The request does not draw pictures nobody asked for: once it commits, a worker is
    asked to draw the thumbnails of the studies it added images to (drawn here by calling
    that task, as the worker would)."""
    settings.RAYPORT_STOW_IN_REQUEST = True
    sent: list[tuple[object, ...]] = []
    monkeypatch.setattr("postdicom.local.uploads.queue._send", lambda task, *args: sent.append((task, *args)))
    body, ds = image(tmp_path, "t.dcm")
    response = stow(Client(), "/dicomweb/", body_of(body))
    assert response.status_code == 200, response.content
    batch = UploadBatch.objects.get()
    assert batch.state == "done"
    assert sent == [(queue.DRAW_THUMBNAILS, batch.pk)]
    study = StudyRecord.objects.get(study_uid=ds.StudyInstanceUID)
    assert study.thumbnail_name == ""  # not drawn in the request
    draw_thumbnails(batch.pk)
    study.refresh_from_db()
    assert study.thumbnail_name.startswith("thumbnails/")


#: Statements of a one-instance STOW stored in the request, for a new study (new order, study
#: and series), the caller's password already verified; inside a test's transaction (its
#: savepoints count). 74 before bench/stow's round of cuts (docs/decisions.md, "STOW-RS
#: ingest speed"); 44 then, 45 since the finished batch also looks up its studies to draw their
#: thumbnails (orders:thumbnail); 33 since the batch is made, stored and closed in one
#: transaction (ingest.store_taken: no item locks, no re-reads, no queued state, no duplicate
#: study lock; docs/decisions.md, "STOW-RS in one transaction"); 31 since the joinable orders
#: of staff skip the folder shares (visibility.visible_in_institution) and the worker that
#: draws the thumbnails looks up the batch's studies itself; 30 since the audit events of the
#: request go in one INSERT (audit.written_together: three fewer) and a study is looked for
#: before its lock is taken (an existing study takes none; a new one, as here, is looked for
#: again under the lock: two more); 18 since the uploader's rights are settled once per
#: request (indexing.uploader_checked: the institution new_batch has just checked is not
#: looked up again, twice), the audit events are built from the claims (no re-read of the
#: items, their warnings and the orders: three), the orders' details come with the claimed
#: instances (one), a new study's series is one INSERT (no get_or_create: three), an order
#: without an accession number takes no savepoint (two) and the instances' and the items'
#: updates go in one statement (bulk.update_rows_together: one); 19 since a remembered
#: password is taken only from a user not locked out for the caller's address (django-axes
#: asked first, postdicom.server.auth: a locked-out address was otherwise told a right guess
#: from a wrong one); 18 since the STOW view keeps the institution it chose for a user a
#: minute (stow._Chosen: its list of the user's institutions is read once a minute, the
#: backend still checks the institution on every upload); 17 since, on PostgreSQL, the
#: backend's check of the institution and the batch's INSERT are one statement
#: (receive._insert_checked; elsewhere two, as before); 16 since the items' outcomes go
#: with the batch's closing UPDATE (ingest._close's ``held``; not for a batch with a folder,
#: whose filing reads them first). Not raised for the headers DICOMweb serves: the worker
#: describes the stored files after the answer (test_a_stow_in_the_request_leaves_the_headers_to_the_worker).
#: Raise it only knowing why: every statement is a round trip per request.
ONE_INSTANCE_STATEMENTS = 16
#: The same into a series already indexed (PostDICOM's client sends a series one instance a
#: request): 20 before the cuts of the line above, and the study and its series are found
#: in one statement (indexing.joined_place); one more for the lockout check, as above; one
#: fewer for the institution the view keeps, and one for the institution's check in the
#: batch's INSERT and one for the outcomes with the batch's UPDATE, as above.
KNOWN_SERIES_STATEMENTS = 11


def _statements(tmp_path: Path, study: str, count: int, first: int = 0, accession: str = "") -> tuple[int, object]:
    bodies = [
        image(tmp_path, f"{study}-{n}.dcm", study_uid=study, series_uid=f"{study}.1", accession=accession)[0]
        for n in range(first, first + count)
    ]
    with CaptureQueriesContext(connection) as queries:
        response = stow(Client(), "/dicomweb/", body_of(*bodies))
    assert response.status_code == 200, response.content
    return len(queries), response


def test_statements_of_a_stow_in_the_request_are_pinned(settings, staff_user, clinic, tmp_path):
    """What a one-instance STOW costs the database, pinned; and 25 instances cost the same
    statements as one (the items go in one INSERT, the instances in one, the outcomes come
    with the batch), so per-file costs cannot creep back in unnoticed."""
    settings.RAYPORT_STOW_IN_REQUEST = True
    _statements(tmp_path, "1.2.826.0.1.3680043.8.498.90", 1)  # the password is verified once a minute
    one, _response = _statements(tmp_path, "1.2.826.0.1.3680043.8.498.91", 1)
    many, _response = _statements(tmp_path, "1.2.826.0.1.3680043.8.498.92", 25)
    # SQLite (the embedded default) has no INSERT or UPDATE inside a WITH: the institution's
    # check is a statement of its own there, and so is the batch's UPDATE.
    sqlite = connection.vendor != "postgresql"
    assert one == ONE_INSTANCE_STATEMENTS + 2 * sqlite
    assert many == one
    known, _response = _statements(tmp_path, "1.2.826.0.1.3680043.8.498.91", 1, first=1)
    # SQLite runs one statement a call, too: the items' and the instances' updates are two there.
    assert known == KNOWN_SERIES_STATEMENTS + 3 * sqlite
    # A new study with an accession number: the order holding it is looked for in one
    # statement (an accession number names at most one order of an institution; two before,
    # a scheduled order asked for first), and the new order's INSERT takes a savepoint (two).
    with_accession, _response = _statements(tmp_path, "1.2.826.0.1.3680043.8.498.93", 1, accession="ACC-93")
    assert with_accession == one + 3
    assert InstanceRecord.objects.filter(stored=True).count() == 29
    audits = AuditRecord.objects.filter(action__in=[AuditAction.UPLOAD_STARTED, AuditAction.UPLOAD_FINISHED])
    assert audits.count() == 10  # the same audit as a browser upload: started and finished, per batch


def _kept_as_read_again(row: InstanceRecord) -> bool:
    """The header kept for ``row`` is what reading its stored file makes, for that file."""
    with open_stored(row.file_name) as handle:
        again = described.describe(handle, row.transfer_syntax_uid)
    kept = row.header
    return (kept.source, kept.json, kept.pixels_at, kept.frames, kept.frame_size) == (
        row.sha256,
        again.json,
        again.pixels_at,
        again.frames,
        again.frame_size,
    )


def test_a_stow_in_the_request_leaves_the_headers_to_the_worker(
    settings, staff_user, clinic, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    """A STOW stored in the request answers without describing the headers DICOMweb serves
    (its answer does not need them; measured: describing them in the request slowed STOW-RS
    more than it saved the worker); the worker's drawing step describes them after."""
    settings.RAYPORT_STOW_IN_REQUEST = True
    queued: list[int] = []
    monkeypatch.setattr("postdicom.local.uploads.queue._send", lambda task, *args: queued.append(args[0]))
    study = "1.2.826.0.1.3680043.8.498.79"
    bodies = [image(tmp_path, f"h{n}.dcm", study_uid=study, series_uid=f"{study}.1")[0] for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        assert stow(Client(), "/dicomweb/", body_of(*bodies)).status_code == 200
    assert not InstanceHeaderRecord.objects.exists()
    draw_thumbnails(queued[0])
    rows = InstanceRecord.objects.filter(series__study__study_uid=study).select_related("header")
    assert len(rows) == 3
    assert all(_kept_as_read_again(row) for row in rows)


@pytest.mark.parametrize("anonymize", [False, True])
def test_a_workers_ingest_keeps_the_headers_it_read(settings, staff_user, clinic, tmp_path, monkeypatch, anonymize):
    """Through the worker (a browser upload's path), the ingest keeps each file's header from
    the reading it does anyway, before the drawing step would read the files again; an
    anonymized file's header is the stored (anonymized) file's."""
    settings.RAYPORT_STOW_IN_REQUEST = False
    monkeypatch.setattr("postdicom.local.images.headers.make_for", lambda studies: None)  # no second reading
    study = "1.2.826.0.1.3680043.8.498.80"
    sent = image(tmp_path, "a.dcm", study_uid=study, series_uid=f"{study}.1")[0]
    address = "/dicomweb/?anonymize=basic" if anonymize else "/dicomweb/"
    assert stow(Client(), address, body_of(sent)).status_code in (200, 202)
    (row,) = InstanceRecord.objects.select_related("header")
    assert _kept_as_read_again(row)
    assert ("Test^Patient" in row.header.json) is not anonymize


def test_a_stow_in_the_request_audits_its_images_per_order_as_a_worker_does(settings, staff_user, clinic, tmp_path):
    """The images' audit of a STOW stored in the request is built from its claims, not read
    back: the same events as a worker's batch writes (how many images, series, modalities;
    and which patient details of the images differ from their order's)."""
    settings.RAYPORT_STOW_IN_REQUEST = True
    study = "1.2.826.0.1.3680043.8.498.77"
    files = [
        image(tmp_path, "s1a.dcm", study_uid=study, series_uid=f"{study}.1", accession="ACC-77")[0],
        image(tmp_path, "s1b.dcm", study_uid=study, series_uid=f"{study}.1", accession="ACC-77")[0],
        image(tmp_path, "s2a.dcm", study_uid=study, series_uid=f"{study}.2", accession="ACC-77", modality="MR")[0],
    ]
    assert stow(Client(), "/dicomweb/", body_of(*files)).status_code == 200
    order = StudyRecord.objects.get(study_uid=study).order
    (added,) = AuditRecord.objects.filter(action=AuditAction.ORDER_IMAGES_ADDED)
    assert added.target_id == str(order.uuid)
    assert added.target_label == "Test, Patient · ACC-77"
    assert {k: added.detail[k] for k in ("images", "series", "modalities")} == {
        "images": 3,
        "series": 2,
        "modalities": ["CT", "MR"],
    }
    assert not AuditRecord.objects.filter(action=AuditAction.ORDER_IMAGES_DIFFER).exists()
    other = image(tmp_path, "o.dcm", study_uid=study, series_uid=f"{study}.1", patient_id="PID-9")[0]
    assert stow(Client(), "/dicomweb/", body_of(other)).status_code == 202  # stored, with a warning
    (differ,) = AuditRecord.objects.filter(action=AuditAction.ORDER_IMAGES_DIFFER)
    assert (differ.target_id, differ.detail["images"], differ.detail["fields"]) == (str(order.uuid), 1, ["patient_id"])
    assert AuditRecord.objects.filter(action=AuditAction.ORDER_IMAGES_ADDED).count() == 2


@pytest.mark.django_db(transaction=True)
def test_one_thumbnail_drawing_waits_per_study_however_many_requests_send_to_it(
    settings, staff_user, tmp_path, monkeypatch
):
    """A series sent one instance a request queues one drawing while it waits, not one per
    instance; the worker clears the mark when it starts, so images stored after that queue
    a drawing of their own (and the waiting one sees every image stored before it started)."""
    settings.RAYPORT_STOW_IN_REQUEST = True
    sent: list[tuple[object, ...]] = []
    monkeypatch.setattr("postdicom.local.uploads.queue._send", lambda task, *args: sent.append((task, *args)))
    study = "1.2.826.0.1.3680043.8.498.78"
    for n in range(3):
        body = image(tmp_path, f"d{n}.dcm", study_uid=study, series_uid=f"{study}.1")[0]
        assert stow(Client(), "/dicomweb/", body_of(body)).status_code == 200
    first = UploadBatch.objects.order_by("id").first()
    assert first is not None
    assert sent == [(queue.DRAW_THUMBNAILS, first.pk)]
    draw_thumbnails(first.pk)  # the worker starts: the mark goes
    record = StudyRecord.objects.get(study_uid=study)
    assert record.thumbnail_name.startswith("thumbnails/")
    assert InstanceRecord.objects.filter(series__study=record, header__isnull=False).count() == 3
    body = image(tmp_path, "d3.dcm", study_uid=study, series_uid=f"{study}.1")[0]
    assert stow(Client(), "/dicomweb/", body_of(body)).status_code == 200
    last = UploadBatch.objects.order_by("id").last()
    assert last is not None
    assert sent == [(queue.DRAW_THUMBNAILS, first.pk), (queue.DRAW_THUMBNAILS, last.pk)]
    draw_thumbnails(last.pk)


def test_the_institution_kept_for_a_user_is_dropped_when_the_backend_refuses_it(staff_user, clinic, tmp_path):
    """The view keeps the institution it chose for a user a minute (no list of institutions
    on every request), but the backend checks it on every upload: a user taken out of it is
    refused by the backend, and the next request chooses again (here: none is left)."""
    study = "1.2.826.0.1.3680043.8.498.66"
    first = image(tmp_path, "k1.dcm", study_uid=study, series_uid=f"{study}.1")[0]
    assert stow(Client(), "/dicomweb/", body_of(first)).status_code == 200
    assert chosen_institutions.get(staff_user.pk, "") == clinic.uuid
    staff_user.profile.institutions.clear()
    second = image(tmp_path, "k2.dcm", study_uid=study, series_uid=f"{study}.1")[0]
    refused = stow(Client(), "/dicomweb/", body_of(second))
    assert refused.status_code == 400
    assert "Choose one of your institutions." in refused.content.decode()
    assert chosen_institutions.get(staff_user.pk, "") is None
    again = stow(Client(), "/dicomweb/", body_of(second))
    assert again.status_code == 400
    assert "You belong to no active institution" in again.content.decode()


@pytest.mark.parametrize("filed", [False, True])
def test_a_stow_stored_in_the_request_closes_its_batch_with_the_outcomes(settings, staff_user, clinic, tmp_path, filed):
    """The items' outcomes go with the batch's closing UPDATE (ingest._close's ``held``),
    except for a batch that files its orders in a folder: the filing reads the outcomes,
    so they are written first. Either way the batch is done with every outcome, and the
    folder gets the order."""
    settings.RAYPORT_STOW_IN_REQUEST = True
    api = get_api()
    folder = api.create_folder(actor=staff_user, name="STOW inbox") if filed else None
    study = "1.2.826.0.1.3680043.8.498.44"
    files = [image(tmp_path, f"h{n}.dcm", study_uid=study, series_uid=f"{study}.1")[0] for n in range(3)]
    query = f"?{urlencode({'folder': str(folder.id)})}" if folder else ""
    assert stow(Client(), f"/dicomweb/{query}", body_of(*files)).status_code == 200
    batch = UploadBatch.objects.get()
    assert (batch.state, batch.finished_at is not None, batch.notes) == ("done", True, [])
    assert sorted(batch.items.values_list("state", flat=True)) == ["stored"] * 3
    assert list(InstanceRecord.objects.filter(stored=True).values_list("sha256", flat=True)) == [""] * 3  # the worker's
    draw_thumbnails(batch.pk)  # after the answer: the digests, then the headers kept by them
    for row in InstanceRecord.objects.filter(stored=True).select_related("header"):
        assert row.sha256 == stored_sha256(row.file_name)
        assert row.header.source == row.sha256
    if folder is not None:
        assert api.get_folder(actor=staff_user, folder_id=folder.id).order_count == 1


@pytest.mark.parametrize("together", [True, False], ids=["in one request", "in the next request"])
def test_another_image_under_a_stored_uid_is_refused_before_the_worker_hashed_it(
    settings, staff_user, clinic, tmp_path, together
):
    """A request stores its files without their digests (the worker fills them in after the
    answer), yet an image sent under a SOP Instance UID already stored is still told apart:
    other pixels are a conflict (failure 0111), the same bytes a duplicate (warning 0111)."""
    settings.RAYPORT_STOW_IN_REQUEST = True
    study, sop = "1.2.826.0.1.3680043.8.498.77", "1.2.826.0.1.3680043.8.498.77.1.1"
    first, _ = image(tmp_path, "x1.dcm", study_uid=study, series_uid=f"{study}.1", sop_uid=sop)
    other, _ = image(tmp_path, "x2.dcm", study_uid=study, series_uid=f"{study}.1", sop_uid=sop, rows=8, columns=8)
    if together:
        response = stow(Client(), "/dicomweb/", body_of(first, other))
        assert response.status_code == 202
    else:
        assert stow(Client(), "/dicomweb/", body_of(first)).status_code == 200
        assert InstanceRecord.objects.get(sop_instance_uid=sop).sha256 == ""  # not hashed yet
        response = stow(Client(), "/dicomweb/", body_of(other))
        assert response.status_code == 409
        again = stow(Client(), "/dicomweb/", body_of(first))
        assert again.status_code == 202
        assert again.json()["00081199"]["Value"][0]["00081196"]["Value"] == [0x0111]
    (failed,) = response.json()["00081198"]["Value"]
    assert failed["00081197"]["Value"] == [0x0111]
    assert InstanceRecord.objects.get(sop_instance_uid=sop).size == len(first)
