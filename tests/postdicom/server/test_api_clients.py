"""The HTTP API by real clients against the live server: ``dicomweb-client`` storing, searching
and retrieving with Basic credentials and with an API key, and ``curl`` (as PostDICOM's docs
would have a script call it) for STOW-RS to the base URL and the flat QIDO/WADO paths."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pydicom
import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from django.conf import settings

from postdicom import get_api
from postdicom.local.models import InstanceRecord
from postdicom.local.tasks import draw_thumbnails
from postdicom.local.uploads import queue
from postdicom.local.uploads.ingest import ingest_items, run_batch
from postdicom.server.auth import verified_passwords
from postdicom.server.stow import chosen_institutions
from tests.conftest import PASSWORD
from tests.uploads.conftest import local_storage
from tests.uploads.files import make_image

pytestmark = pytest.mark.django_db(transaction=True)

STUDY = "1.2.826.0.1.3680043.8.498.9001"
SERIES = f"{STUDY}.1"


@pytest.fixture(autouse=True)
def _live(settings, tmp_path, monkeypatch):
    """Connections closed per request (the live server's threads), this test's storage, and the
    worker's steps run in the server's thread once the upload commits."""
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)
    local_storage(settings, tmp_path)
    verified_passwords.clear()
    chosen_institutions.clear()

    def send(task: str, *args: object) -> None:
        if task == queue.FINISH_BATCH:
            run_batch(args[0])  # type: ignore[arg-type]
        elif task == queue.DRAW_THUMBNAILS:
            draw_thumbnails(args[0])  # type: ignore[arg-type]
        else:
            ingest_items(args[0])  # type: ignore[arg-type]

    monkeypatch.setattr("postdicom.local.uploads.queue._send", send)


def _images(tmp_path: Path, count: int, **kwargs) -> list[pydicom.Dataset]:
    return [
        pydicom.dcmread(make_image(tmp_path / f"{n}.dcm", study_uid=STUDY, series_uid=SERIES, **kwargs))
        for n in range(count)
    ]


def _client(live_server, **session_settings) -> DICOMwebClient:
    session = requests.Session()
    for name, value in session_settings.items():
        setattr(session, name, value)
    return DICOMwebClient(url=f"{live_server.url}/dicomweb", session=session)


def test_dicomweb_client_with_basic_credentials(live_server, staff_user, tmp_path):
    client = _client(live_server, auth=("sam", PASSWORD))
    datasets = _images(tmp_path, 3)
    answer = client.store_instances(datasets)
    assert [item.ReferencedSOPInstanceUID for item in answer.ReferencedSOPSequence] == [
        ds.SOPInstanceUID for ds in datasets
    ]
    assert "FailedSOPSequence" not in answer or not answer.FailedSOPSequence
    [study] = client.search_for_studies(search_filters={"StudyInstanceUID": STUDY})
    assert study["00201208"]["Value"] == [3]
    instances = client.search_for_instances(STUDY, SERIES)
    assert len(instances) == 3
    retrieved = client.retrieve_instance(STUDY, SERIES, datasets[1].SOPInstanceUID)
    assert retrieved.PixelData == datasets[1].PixelData
    # To a study's address: instances of another study are failed, the rest stored.
    other = pydicom.dcmread(make_image(tmp_path / "other.dcm", study_uid="1.2.3.999"))
    one_more = pydicom.dcmread(make_image(tmp_path / "more.dcm", study_uid=STUDY, series_uid=SERIES))
    mixed = client.store_instances([one_more, other], study_instance_uid=STUDY)
    assert mixed.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == one_more.SOPInstanceUID
    assert mixed.FailedSOPSequence[0].FailureReason == 0xA900


def test_dicomweb_client_with_an_api_key(live_server, staff_user, admin_user, tmp_path):
    _key, secret = get_api().create_api_key(actor=admin_user, name="Modality bridge", user_id=staff_user.profile.uuid)
    client = _client(live_server, headers={"Authorization": f"Bearer {secret}"})
    datasets = _images(tmp_path, 2)
    answer = client.store_instances(datasets, study_instance_uid=STUDY)
    assert len(answer.ReferencedSOPSequence) == 2
    assert len(client.search_for_series(STUDY)) == 1
    [whole] = client.retrieve_series(STUDY, SERIES)[:1]
    assert whole.StudyInstanceUID == STUDY
    # Basic with the key as the password works as well; a revoked key stops at once.
    assert len(_client(live_server, auth=("sam", secret)).search_for_studies()) == 1
    get_api().revoke_api_key(actor=admin_user, key_id=_key.id)
    with pytest.raises(requests.HTTPError) as refused:
        client.search_for_studies()
    assert refused.value.response is not None
    assert refused.value.response.status_code == 401


def test_outsider_sees_nothing_and_gets_404(live_server, staff_user, outsider, tmp_path):
    _client(live_server, auth=("sam", PASSWORD)).store_instances(_images(tmp_path, 1))
    theirs = _client(live_server, auth=("otto", PASSWORD))
    assert theirs.search_for_studies() == []
    with pytest.raises(requests.HTTPError) as refused:
        theirs.retrieve_study(STUDY)
    assert refused.value.response is not None
    assert refused.value.response.status_code == 404


def _curl(*args: str) -> tuple[int, bytes]:
    done = subprocess.run(
        ["curl", "--silent", "--show-error", "--write-out", "\n%{http_code}", *args],
        capture_output=True,
        check=True,
        timeout=60,
    )
    body, _newline, status = done.stdout.rpartition(b"\n")
    return int(status), body


def test_curl_stow_to_the_base_and_the_flat_paths(live_server, staff_user, tmp_path):
    """As PostDICOM's client sends it: one file per POST to the base URL, boundary
    "DICOM DATA BOUNDARY", Basic credentials."""
    [ds] = _images(tmp_path, 1)
    path = tmp_path / "0.dcm"
    body = tmp_path / "body"
    boundary = "DICOM DATA BOUNDARY"
    body.write_bytes(
        f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    base = f"{live_server.url}/dicomweb"
    status, answer = _curl(
        "-u",
        f"sam:{PASSWORD}",
        "-H",
        f'Content-Type: multipart/related; type="application/dicom"; boundary="{boundary}"',
        "--data-binary",
        f"@{body}",
        f"{base}/",
    )
    assert status == 200, answer
    assert json.loads(answer)["00081199"]["Value"][0]["00081155"]["Value"] == [ds.SOPInstanceUID]
    assert InstanceRecord.objects.filter(sop_instance_uid=ds.SOPInstanceUID, stored=True).exists()

    status, answer = _curl("-u", f"sam:{PASSWORD}", f"{base}/studies/series?0020000D={STUDY}")
    assert status == 200
    assert [s["0020000E"]["Value"][0] for s in json.loads(answer)] == [SERIES]
    status, answer = _curl("-u", f"sam:{PASSWORD}", f"{base}/studies/series/instances?0020000E={SERIES}")
    assert status == 200
    assert [i["00080018"]["Value"][0] for i in json.loads(answer)] == [ds.SOPInstanceUID]
    for url in (f"{base}/studies/series/{SERIES}", f"{base}/studies/series/instances/{ds.SOPInstanceUID}"):
        status, answer = _curl("-u", f"sam:{PASSWORD}", url)
        assert status == 200
        assert path.read_bytes() in answer  # the stored file, in a multipart/related body
    status, answer = _curl("-u", "sam:wrong", f"{base}/studies")
    assert status == 401
    assert json.loads(answer)["error"]
    status, answer = _curl("-u", f"sam:{PASSWORD}", f"{base}/studies/series")
    assert status == 400  # the flat series search needs its study
    assert settings.RAYPORT_STOW_WAIT_SECONDS > 0
