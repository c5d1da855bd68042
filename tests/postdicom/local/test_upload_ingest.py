"""Ingesting uploads in the local backend: real files in; index rows, orders and stored files
out. The ingest runs in this process here (``run_batch``), exactly as a worker runs it."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pydicom
import pytest
from django.test import TestCase
from django.utils import translation
from pydicom.uid import generate_uid

from postdicom import get_api
from postdicom import types as t
from postdicom.local.models import AuditRecord, DocumentRecord, InstanceRecord, PatientOrder, StudyRecord, UploadItem
from postdicom.local.uploads.storage import put_file
from tests.disk_order import disk_order
from tests.orders.conftest import new_order
from tests.uploads.conftest import outcomes, report, stored_files, upload, upload_dirs  # noqa: F401
from tests.uploads.files import (
    BROKEN,
    CHARSET_FILES,
    deep_sequences,
    make_image,
    make_zip,
    make_zip_bomb,
    pdf_bytes,
    png_bytes,
    pydicom_reads,
    shipped,
    shipped_files,
)

pytestmark = pytest.mark.django_db


def test_one_image_makes_an_order_with_its_study(staff_user, clinic, tmp_path):
    path = make_image(tmp_path / "in" / "a.dcm", patient_name="Doe^Jane", accession="ACC-9")
    receipt = upload(staff_user, clinic, [path], tmp_path)
    result = report(staff_user, receipt)
    assert result.batch.state is t.UploadState.DONE
    assert result.batch.counts == {"stored": 1}
    (order,) = result.orders
    assert (order.patient_name, order.patient_id, order.accession_number) == ("Doe^Jane", "PID-1", "ACC-9")
    assert order.status is t.OrderStatus.IMAGES_RECEIVED
    assert order.order_date == dt.date(2026, 11, 20)
    instance = InstanceRecord.objects.get()
    assert instance.stored
    assert len(instance.sha256) == 64
    assert [str(p) for p in stored_files(tmp_path)] == [instance.file_name]
    assert (tmp_path / "media" / instance.file_name).read_bytes() == path.read_bytes()
    assert not list((tmp_path / "uploads").rglob("*-*"))  # the batch's temporary folder is gone
    detail = get_api().order_properties(actor=staff_user, order_id=order.id)
    (study,) = detail.studies
    assert study.image_count == 1
    assert study.series[0].modality == "CT"
    actions = set(AuditRecord.objects.values_list("action", flat=True))
    assert {"upload.started", "upload.finished", "order.created", "order.images_added"} <= actions


def test_every_readable_pydicom_file_is_stored_and_indexed(staff_user, clinic, tmp_path):
    expected: dict[str, tuple] = {}
    paths = []
    for path in shipped_files():
        ds = None if path.name in BROKEN else pydicom_reads(path)
        if ds is not None:
            paths.append(path)
            expected.setdefault(str(ds.SOPInstanceUID).strip(), (path, ds))
    assert len(expected) > 50
    receipt = upload(staff_user, clinic, paths, tmp_path)
    result = report(staff_user, receipt, page_size=500)
    firsts = {path.name for path, _ds in expected.values()}
    got = {f.name: f.outcome.value for f in result.files.items}
    not_stored = {name: got[name] for name in firsts if got[name] != "stored"}
    assert not not_stored, not_stored
    # pydicom ships copies of one instance: the same pixels in another byte order are the
    # same image; another compression (no decoder here) or other content is a conflict.
    assert {got[p.name] for p in paths if p.name not in firsts} == {"duplicate", "conflict"}
    assert got["MR_small_bigendian.dcm"] == got["MR_small_implicit.dcm"] == "duplicate"
    assert got["MR_small_RLE.dcm"] == got["chrJapMultiExplicitIR6.dcm"] == "conflict"
    broken = upload(staff_user, clinic, [shipped(name) for name in BROKEN], tmp_path)
    for name, (outcome, reason) in outcomes(staff_user, broken).items():
        assert outcome == "rejected", name
        assert BROKEN[name] in reason, (name, reason)
    for sop_uid, (path, ds) in expected.items():
        instance = InstanceRecord.objects.select_related("series__study").get(sop_instance_uid=sop_uid)
        assert instance.series.series_uid == str(ds.SeriesInstanceUID).strip(), path
        assert instance.series.study.study_uid == str(ds.StudyInstanceUID).strip(), path
        assert instance.series.study.patient_id == str(ds.get("PatientID", "") or "").strip()[:64], path
    assert InstanceRecord.objects.count() == len(expected)
    assert len(stored_files(tmp_path)) == len(expected)


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in CHARSET_FILES.glob("chr*.dcm") if pydicom_reads(p) is not None),
)
def test_charset_files_keep_their_names(staff_user, clinic, tmp_path, name):
    path = shipped(name)
    ds = pydicom.dcmread(path)
    upload(staff_user, clinic, [path], tmp_path)
    study = StudyRecord.objects.get(study_uid=str(ds.StudyInstanceUID))
    assert study.patient_name == str(ds.PatientName)
    order = PatientOrder.objects.get()
    first_group = next(g for g in str(ds.PatientName).split("=") if g.replace("^", "").strip())
    assert order.patient_name.split("^")[0] == first_group.split("^")[0].strip()


def test_bad_files_each_get_a_reason_and_never_stop_the_batch(staff_user, clinic, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "notes.txt").write_text("not an image")
    (folder / "empty.dcm").write_bytes(b"")
    (folder / "photo.dcm").write_bytes(png_bytes())  # the extension lies
    (folder / "report.dcm").write_bytes(pdf_bytes())
    deep = deep_sequences(folder / "deep.dcm")
    good = make_image(folder / "good.dcm")
    files = [
        folder / "notes.txt",
        folder / "empty.dcm",
        folder / "photo.dcm",
        folder / "report.dcm",
        shipped("MR_truncated.dcm"),
        shipped("badVR.dcm"),
        shipped("no_meta.dcm"),
        deep,
        good,
    ]
    receipt = upload(staff_user, clinic, files, tmp_path)
    result = outcomes(staff_user, receipt)
    assert result["good.dcm"][0] == "stored"
    assert result["no_meta.dcm"][0] == "stored"  # no meta header, but a readable data set
    for name in ("notes.txt", "empty.dcm", "photo.dcm", "report.dcm", "MR_truncated.dcm", "deep.dcm"):
        outcome, reason = result[name]
        assert outcome == "rejected", name
        assert reason, name
    assert "empty" in result["empty.dcm"][1]
    assert "PNG" in result["photo.dcm"][1]
    assert "PDF" in result["report.dcm"][1]
    assert "is incomplete" in result["MR_truncated.dcm"][1]
    assert "levels nested" in result["deep.dcm"][1]
    # pydicom reads the data set, but its NumberOfFrames ("1A") is not a number: the pixels
    # cannot be laid out, so the file is refused with the tag named for the technician.
    assert result["badVR.dcm"][0] == "rejected"
    assert "(0028,0008)" in result["badVR.dcm"][1]
    assert report(staff_user, receipt).batch.state is t.UploadState.DONE


def test_dicomdir_is_skipped_not_an_error(staff_user, clinic, tmp_path):
    receipt = upload(staff_user, clinic, [shipped("DICOMDIR")], tmp_path)
    outcome, reason = outcomes(staff_user, receipt)["DICOMDIR"]
    assert outcome == "skipped"
    assert "DICOMDIR" in reason


def test_same_instance_twice_is_stored_once(staff_user, clinic, tmp_path):
    path = make_image(tmp_path / "in" / "a.dcm")
    first = upload(staff_user, clinic, [path, path], tmp_path)
    assert sorted(o for o, _ in outcomes(staff_user, first).values()) == ["duplicate", "stored"]
    second = upload(staff_user, clinic, [path], tmp_path)
    assert [o for o, _ in outcomes(staff_user, second).values()] == ["duplicate"]
    assert InstanceRecord.objects.count() == 1
    assert len(stored_files(tmp_path)) == 1
    assert report(staff_user, second).orders  # the duplicate still points at its order


def test_same_uid_different_image_is_a_conflict_not_a_duplicate(staff_user, clinic, tmp_path):
    """Issue 9 item 3: another image under a stored SOP Instance UID is reported as such, in
    both languages, and the stored image stays."""
    study_uid, series_uid, sop_uid = generate_uid(), generate_uid(), generate_uid()
    first = make_image(tmp_path / "in" / "first.dcm", study_uid=study_uid, series_uid=series_uid, sop_uid=sop_uid)
    upload(staff_user, clinic, [first], tmp_path)
    (stored,) = stored_files(tmp_path)
    other = make_image(  # other pixels
        tmp_path / "in2" / "other.dcm", rows=8, study_uid=study_uid, series_uid=series_uid, sop_uid=sop_uid
    )
    receipt = upload(staff_user, clinic, [other], tmp_path)
    result = report(staff_user, receipt)
    assert result.batch.counts == {"conflict": 1}
    ((name, (outcome, reason)),) = outcomes(staff_user, receipt).items()
    assert outcome == "conflict"
    assert "different image with the same identifier" in reason
    assert [f.name for f in result.problems] == ["other.dcm"]
    assert (tmp_path / "media" / stored).read_bytes() == first.read_bytes()
    assert InstanceRecord.objects.count() == 1
    with translation.override("es"):
        assert "otra imagen distinta con el mismo identificador" in outcomes(staff_user, receipt)[name][1]


def test_an_anonymized_copy_of_a_stored_image_is_a_duplicate(staff_user, clinic, tmp_path):
    path = make_image(tmp_path / "in" / "a.dcm", patient_name="Real^Rita")
    upload(staff_user, clinic, [path], tmp_path)
    anonymize = t.Anonymization(replacements={"PatientName": "Anon^Ymous"})
    receipt = upload(staff_user, clinic, [path], tmp_path, anonymize=anonymize)
    assert [o for o, _ in outcomes(staff_user, receipt).values()] == ["duplicate"]
    assert InstanceRecord.objects.count() == 1


def test_patient_details_that_differ_from_the_order_are_a_warning_on_file_and_order(staff_user, clinic, tmp_path):
    """Issue 9 item 4: the file is stored (it belongs to the order by its accession number)
    but its outcome and the order's history say which patient details differ."""
    booked = new_order(
        staff_user, clinic, accession_number="SCHED-7", patient_name="Booked^Bob", patient_id="B-7",
        birth_date=dt.date(1970, 5, 6), sex="M",
    )  # fmt: skip
    other = make_image(tmp_path / "in" / "other.dcm", accession="SCHED-7", patient_name="Other^Olga")
    same = make_image(tmp_path / "in" / "same.dcm", accession="SCHED-7", patient_name="BOOKED^BOB", patient_id="b-7")
    receipt = upload(staff_user, clinic, [other], tmp_path)
    ((outcome,),) = [report(staff_user, receipt).files.items]
    assert outcome.outcome is t.UploadOutcome.STORED
    assert outcome.order_id == booked.id
    (warning,) = [w for w in outcome.warnings if "differ" in w]
    assert "(patient ID, name, birth date, sex)" in warning
    with translation.override("es"):
        (state,) = report(staff_user, receipt).files.items
        assert any("(ID del paciente, nombre, fecha de nacimiento, sexo)" in w for w in state.warnings)
    event = AuditRecord.objects.get(action="order.images_differ", target_id=str(booked.id))
    assert event.detail["fields"] == ["patient_id", "patient_name", "birth_date", "sex"]
    assert event.detail["images"] == 1
    from portal.audit_labels import describe_detail

    assert ("patient details that differ", "patient ID, patient name, birth date, sex") in describe_detail(event.detail)
    history = get_api().order_properties(actor=staff_user, order_id=booked.id).history
    assert "order.images_differ" in [e.action for e in history]
    # The same patient written differently (case) is no difference; an unstated value neither.
    again = upload(staff_user, clinic, [same], tmp_path)
    (state,) = report(staff_user, again).files.items
    assert state.outcome is t.UploadOutcome.STORED
    (warning,) = [w for w in state.warnings if "differ" in w]
    assert "order's (birth date, sex)." in warning


def test_dicom_whose_preamble_starts_like_a_zip_is_stored_alone_and_from_a_zip(staff_user, clinic, tmp_path):
    """Issue 9 item 10: the preview called it readable and the ingest refused it as a damaged
    ZIP; ``DICM`` at offset 128 is recognised first, alone and as a member of an archive."""
    plain = make_image(tmp_path / "in" / "pk.dcm")
    data = b"PK\x03\x04" + plain.read_bytes()[4:]
    plain.write_bytes(data)
    member = make_image(tmp_path / "in" / "member.dcm")
    member_data = b"PK\x03\x04" + member.read_bytes()[4:]
    archive = make_zip(tmp_path / "in" / "study.zip", {"member.dcm": member_data})
    receipt = upload(staff_user, clinic, [plain, archive], tmp_path)
    result = outcomes(staff_user, receipt)
    assert result["pk.dcm"][0] == "stored"
    assert result["study.zip"][0] == "expanded"
    assert result["study.zip/member.dcm"][0] == "stored"
    assert sorted((tmp_path / "media" / p).read_bytes() for p in stored_files(tmp_path)) == sorted([data, member_data])
    (preview,) = get_api().read_dicom_files(
        actor=staff_user, files=[t.UploadFile(name="pk.dcm", path=str(plain), size=len(data))],
        institution_id=clinic.uuid,
    )  # fmt: skip
    assert preview.readable


def test_study_joins_its_order_and_scheduled_accession_order(staff_user, clinic, tmp_path):
    scheduled = new_order(staff_user, clinic, accession_number="SCHED-1", patient_name="Booked^Bob")
    study_uid = generate_uid()
    a = make_image(tmp_path / "in" / "a.dcm", study_uid=study_uid, accession="sched-1")
    b = make_image(tmp_path / "in" / "b.dcm", study_uid=study_uid, accession="sched-1")
    upload(staff_user, clinic, [a], tmp_path)
    order = PatientOrder.objects.get(uuid=scheduled.id)
    assert order.status == "images_received"
    assert StudyRecord.objects.get(study_uid=study_uid).order_id == order.pk
    upload(staff_user, clinic, [b], tmp_path)
    assert PatientOrder.objects.count() == 1
    assert InstanceRecord.objects.filter(series__study__order=order).count() == 2
    assert AuditRecord.objects.filter(action="order.images_received", target_id=str(order.uuid)).count() == 1


def test_accession_of_another_institution_makes_a_new_order(staff_user, admin_user, clinic, other_clinic, tmp_path):
    new_order(admin_user, other_clinic, accession_number="X-1")
    path = make_image(tmp_path / "in" / "a.dcm", accession="X-1")
    receipt = upload(staff_user, clinic, [path], tmp_path)
    (order,) = report(staff_user, receipt).orders
    assert order.institution.id == clinic.uuid
    assert order.accession_number == "X-1"


def test_anonymization_never_stores_the_original(staff_user, clinic, tmp_path):
    path = make_image(tmp_path / "in" / "a.dcm", patient_name="Secret^Sarah", patient_id="SECRET-ID")
    original = pydicom.dcmread(path)
    anonymize = t.Anonymization(replacements={"PatientName": "Anon^Ymous", "PatientID": "ANON-1"})
    receipt = upload(staff_user, clinic, [path], tmp_path, anonymize=anonymize)
    assert [o for o, _ in outcomes(staff_user, receipt).values()] == ["stored"]
    (stored,) = stored_files(tmp_path)
    data = (tmp_path / "media" / stored).read_bytes()
    assert b"Secret" not in data
    assert b"SECRET-ID" not in data
    ds = pydicom.dcmread(tmp_path / "media" / stored)
    assert (str(ds.PatientName), ds.PatientID) == ("Anon^Ymous", "ANON-1")
    assert ds.SOPInstanceUID == original.SOPInstanceUID  # replacements keep the UIDs
    (order,) = report(staff_user, receipt).orders
    assert order.patient_name == "Anon^Ymous"
    for leftover in (tmp_path / "uploads").rglob("*"):
        assert not leftover.is_file() or b"Secret" not in leftover.read_bytes()


def test_basic_profile_remaps_uids_consistently_within_a_batch(staff_user, clinic, tmp_path):
    study_uid, series_uid = generate_uid(), generate_uid()
    files = [
        make_image(tmp_path / "in" / f"{i}.dcm", study_uid=study_uid, series_uid=series_uid, patient_name="Real^Name")
        for i in range(3)
    ]
    receipt = upload(staff_user, clinic, files, tmp_path, anonymize=t.Anonymization(basic_profile=True))
    assert sorted(o for o, _ in outcomes(staff_user, receipt).values()) == ["stored"] * 3
    (study,) = StudyRecord.objects.all()
    assert study.study_uid != study_uid
    assert study.series.get().series_uid != series_uid
    for name in stored_files(tmp_path):
        ds = pydicom.dcmread(tmp_path / "media" / name)
        assert ds.PatientIdentityRemoved == "YES"
        assert "Real" not in str(ds.get("PatientName", ""))
        assert ds.StudyInstanceUID == study.study_uid


def test_zip_archives_are_expanded_safely(staff_user, clinic, tmp_path):
    inner = make_image(tmp_path / "z" / "inner.dcm")
    nested = make_zip(tmp_path / "z" / "nested.zip", {"x.dcm": inner.read_bytes()})
    archive = make_zip(
        tmp_path / "in" / "study.zip",
        {
            "CT/IM1.dcm": inner.read_bytes(),
            "../evil.dcm": inner.read_bytes(),
            "/abs.dcm": inner.read_bytes(),
            "nested.zip": nested.read_bytes(),
            "readme.txt": b"hello",
        },
    )
    bomb = make_zip_bomb(tmp_path / "in" / "bomb.zip")
    receipt = upload(staff_user, clinic, [archive, bomb], tmp_path)
    result = outcomes(staff_user, receipt)
    assert result["study.zip"][0] == "expanded"
    assert result["study.zip/CT/IM1.dcm"][0] == "stored"
    assert result["study.zip/../evil.dcm"][0] == "rejected"
    assert "outside" in result["study.zip/../evil.dcm"][1]
    assert result["study.zip//abs.dcm"][0] == "rejected"
    assert "ZIP archive inside" in result["study.zip/nested.zip"][1]
    assert result["study.zip/readme.txt"][0] == "rejected"
    bomb_entries = {k: v for k, v in result.items() if k.startswith("bomb.zip/")}
    assert bomb_entries
    assert all(o == "rejected" and "ZIP bomb" in r for o, r in bomb_entries.values())
    assert not (tmp_path.parent / "evil.dcm").exists()
    assert InstanceRecord.objects.count() == 1


def test_purge_deletes_the_files(staff_user, admin_user, clinic, tmp_path):
    path = make_image(tmp_path / "in" / "a.dcm")
    receipt = upload(staff_user, clinic, [path], tmp_path)
    (order,) = report(staff_user, receipt).orders
    api = get_api()
    api.upload_documents(
        actor=staff_user,
        order_id=order.id,
        files=[t.UploadFile(name="r.pdf", path=str(_write(tmp_path / "r.pdf", pdf_bytes())), size=10)],
    )
    assert len(stored_files(tmp_path)) == 2
    api.delete_order(actor=staff_user, order_id=order.id)
    with TestCase.captureOnCommitCallbacks(execute=True):
        api.purge_order(actor=admin_user, order_id=order.id)
    assert stored_files(tmp_path) == []
    assert InstanceRecord.objects.count() == 0
    assert UploadItem.objects.get().instance is None


def _write(path, data):
    path.write_bytes(data)
    return path


def test_storing_the_same_file_again_leaves_no_part_file(tmp_path):
    """A retry after a crash links the same received file again: rename() would keep the
    part name when both names are the same file."""
    source = make_image(tmp_path / "in" / "a.dcm")
    first = put_file("dicom/x/y/z.dcm", str(source), key="k")
    second = put_file("dicom/x/y/z.dcm", str(source), key="k")
    assert first == second
    assert [str(p) for p in stored_files(tmp_path)] == ["dicom/x/y/z.dcm"]
    assert source.exists()


def test_stored_files_are_on_the_disk_before_their_rows_say_so(staff_user, clinic, tmp_path, monkeypatch):
    """Images' and a document's bytes, and every folder on their names' paths up to the
    storage's root, are synced (fsync, from whichever thread stores them) before the
    statement that records them as stored: a power cut after the commit cannot take back a
    file the database names (as Orthanc's SyncStorageArea)."""

    def on_the_way(name: str) -> list[Path]:
        stored = tmp_path / "media" / name
        return [stored, *(folder for folder in stored.parents if folder.is_relative_to(tmp_path / "media"))]

    study, series = generate_uid(), generate_uid()
    images = [make_image(tmp_path / "in" / f"{n}.dcm", study_uid=study, series_uid=series) for n in range(3)]
    with disk_order(monkeypatch) as order:
        receipt = upload(staff_user, clinic, images, tmp_path)
        (orders,) = report(staff_user, receipt).orders
        pdf = t.UploadFile(name="r.pdf", path=str(_write(tmp_path / "r.pdf", pdf_bytes())), size=10)
        get_api().upload_documents(actor=staff_user, order_id=orders.id, files=[pdf])
    names = InstanceRecord.objects.values_list("file_name", flat=True)
    assert len(names) == 3
    assert all(order.synced_before(on_the_way(name), 'SET "stored"') for name in names)  # the UPDATE that marks
    document = DocumentRecord.objects.get()
    assert order.synced_before(on_the_way(document.file_name), f'INSERT INTO "{DocumentRecord._meta.db_table}"')


@pytest.mark.parametrize("store_now", [False, True], ids=["worker", "in the request"])
def test_a_group_is_stored_at_once_and_a_request_leaves_the_digests(
    staff_user, clinic, tmp_path, monkeypatch, store_now
):
    """A group's files wait for the disk together, on the storing pool's threads; a request
    (STOW-RS stores in it) does not hash them: the worker does, after the answer."""
    from postdicom.local.uploads import storage

    threads: list[str] = []
    hashing: set[bool] = set()

    def put(name: str, source: str, *, key: str, hashed: bool = True) -> tuple[int, str]:
        threads.append(threading.current_thread().name)
        hashing.add(hashed)
        return put_file(name, source, key=key, hashed=hashed)

    monkeypatch.setattr(storage, "put_file", put)
    study, series = generate_uid(), generate_uid()
    images = [make_image(tmp_path / "in" / f"{n}.dcm", study_uid=study, series_uid=series) for n in range(4)]
    files = [t.UploadFile(name=path.name, path=str(path), size=path.stat().st_size) for path in images]
    if store_now:
        get_api().upload_dicom(actor=staff_user, institution_id=clinic.uuid, files=files, store_now=True)
    else:
        upload(staff_user, clinic, images, tmp_path)
    assert InstanceRecord.objects.filter(stored=True).count() == 4
    assert len(threads) == 4
    assert all(name.startswith("rayport-put") for name in threads)
    assert hashing == {not store_now}
    digests = set(InstanceRecord.objects.values_list("sha256", flat=True))
    if store_now:
        assert digests == {""}  # filled in by the worker (digests.fill_for)
    else:
        assert "" not in digests


def test_orders_are_filed_into_the_chosen_folder(staff_user, clinic, tmp_path):
    api = get_api()
    folder = api.create_folder(actor=staff_user, name="Cardiology/2026")
    path = make_image(tmp_path / "in" / "a.dcm")
    receipt = upload(staff_user, clinic, [path], tmp_path, folder_id=folder.id)
    (order,) = report(staff_user, receipt).orders
    assert [f.id for f in api.order_folders(actor=staff_user, order_id=order.id)] == [folder.id]


def test_a_folder_deleted_meanwhile_is_noted_not_fatal(staff_user, clinic, tmp_path):
    api = get_api()
    folder = api.create_folder(actor=staff_user, name="Gone soon")
    path = make_image(tmp_path / "in" / "a.dcm")
    receipt = upload(staff_user, clinic, [path], tmp_path, folder_id=folder.id, ingest=False)
    api.delete_folder(actor=staff_user, folder_id=folder.id)
    from tests.uploads.conftest import run

    run(receipt)
    result = report(staff_user, receipt)
    assert result.batch.counts == {"stored": 1}
    assert result.notes


def test_search_results_count_images_and_documents(staff_user, clinic, tmp_path, client):
    study_uid = generate_uid()
    paths = [make_image(tmp_path / "in" / f"{n}.dcm", study_uid=study_uid) for n in range(3)]
    upload(staff_user, clinic, paths, tmp_path)
    (summary,) = get_api().search_orders(actor=staff_user, query=t.OrderQuery()).items
    assert (summary.image_count, summary.document_count) == (3, 0)
    client.force_login(staff_user)
    assert "3 images" in client.get("/orders/").content.decode()


def test_an_instance_row_purged_during_the_claim_is_claimed_again(staff_user, clinic, tmp_path, monkeypatch):
    """The insert met a row that was gone by the time it was looked up (a purge in between):
    the group is stored again one file at a time, and nothing is lost."""
    from postdicom.local.uploads import indexing

    real = indexing._insert_all
    calls = []

    def conflict_once(rows):
        calls.append(len(rows))
        return {} if len(calls) == 1 else real(rows)

    monkeypatch.setattr(indexing, "_insert_all", conflict_once)
    paths = [make_image(tmp_path / "in" / f"{n}.dcm") for n in range(2)]
    result = upload(staff_user, clinic, paths, tmp_path)
    assert sorted(o for o, _ in outcomes(staff_user, result).values()) == ["stored", "stored"]
    assert calls == [2, 1, 1]
    assert InstanceRecord.objects.filter(stored=True).count() == 2
    assert len(stored_files(tmp_path)) == 2


def test_nul_characters_in_the_header_are_dropped_not_a_failure(staff_user, clinic, tmp_path):
    # Some writers pad values with NUL instead of a space; PostgreSQL cannot store U+0000.
    path = make_image(
        tmp_path / "in" / "a.dcm",
        patient_name="Doe\x00^Jane\x00",
        patient_id="PID\x00-7",
        accession="ACC-\x009",
        study_description="Chest\x00\x00",
    )
    receipt = upload(staff_user, clinic, [path], tmp_path)
    result = report(staff_user, receipt)
    assert result.batch.counts == {"stored": 1}
    (order,) = result.orders
    assert (order.patient_name, order.patient_id, order.accession_number) == ("Doe^Jane", "PID-7", "ACC-9")
    (study,) = get_api().order_properties(actor=staff_user, order_id=order.id).studies
    assert study.description == "Chest"
