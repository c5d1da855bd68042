"""Anonymized cloud uploads read ahead: the next request's files are anonymized while the
current request is being sent, every file still gets its outcome, and a sending that fails
half-way leaves no anonymized copy behind (the files wait, unsent, for the next try)."""

from __future__ import annotations

import io
import shutil
import time
import uuid
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any, cast

import httpx
import pydicom
import pytest
from django.contrib.auth.models import User

from postdicom.cloud import CloudBackend, manifest, stow, uploads
from postdicom.errors import Unavailable
from postdicom.types import Anonymization, UploadFile, UploadOutcome
from tests.uploads.files import make_image

PART = 3  # files a request carries here (``stow.MAX_FILES``)


@pytest.fixture(autouse=True)
def small_requests(monkeypatch: Any, settings: Any, tmp_path: Path) -> None:
    settings.RAYPORT_UPLOAD_DIR = tmp_path / "uploads"
    monkeypatch.setattr(stow, "MAX_FILES", PART)


def _uids(request: httpx.Request) -> list[str]:
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.read())
    payloads = [cast(bytes, part.get_payload(decode=True)) for part in message.iter_parts()]
    return [str(pydicom.dcmread(io.BytesIO(p), stop_before_pixels=True).SOPInstanceUID) for p in payloads]


def _stored(uids: list[str]) -> httpx.Response:
    referenced = [{"00081155": {"vr": "UI", "Value": [uid]}} for uid in uids]
    return httpx.Response(200, json={"00081199": {"vr": "SQ", "Value": referenced}, "00081198": {"vr": "SQ"}})


def _copies() -> list[Path]:
    return list(manifest.root().glob("*/files/*.anon"))


def _upload(tmp_path: Path, user: User, handler: Any, count: int) -> tuple[CloudBackend, Any, list[UploadFile]]:
    api = CloudBackend(
        base_url="http://server.test/dicomweb/", api_key="rpk_k", retries=0, transport=httpx.MockTransport(handler)
    )
    files = []
    for n in range(count):
        source = make_image(tmp_path / "src" / f"im{n}.dcm")
        given = tmp_path / "given" / source.name
        given.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, given)
        files.append(UploadFile(name=given.name, path=str(given), size=given.stat().st_size))
    batch = api.start_upload(actor=user, institution_id=uuid.uuid4(), anonymize=Anonymization(basic_profile=True))
    return api, batch, files


def test_the_next_request_is_anonymized_while_one_is_sent(staff_user: User, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr("postdicom.cloud.queue._send", lambda *args: None)
    copies_while_sending: list[int] = []

    def server(request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return httpx.Response(200, json=[])
        uids = _uids(request)
        # While the first request is out, the second one's copies are being made (read-ahead).
        deadline = time.monotonic() + 5
        while not copies_while_sending and len(_copies()) < 2 * PART and time.monotonic() < deadline:
            time.sleep(0.01)
        copies_while_sending.append(len(_copies()))
        return _stored(uids)

    api, batch, files = _upload(tmp_path, staff_user, server, PART * 3)
    api.add_upload_files(actor=staff_user, batch_id=batch.id, files=files)
    api.finish_upload(actor=staff_user, batch_id=batch.id)
    assert api.send_batch(batch.id)
    report = api.upload_report(actor=staff_user, batch_id=batch.id)
    assert [f.outcome for f in report.files.items] == [UploadOutcome.STORED] * PART * 3
    assert copies_while_sending[0] == 2 * PART  # the second request's copies were made meanwhile
    assert _copies() == []


def test_a_failed_sending_leaves_no_copy_made_ahead(staff_user: User, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr("postdicom.cloud.queue._send", lambda *args: None)
    requests: list[int] = []

    def server(request: httpx.Request) -> httpx.Response:
        requests.append(1)
        if len(requests) == 2:
            return httpx.Response(503)
        return _stored(_uids(request))

    api, batch, files = _upload(tmp_path, staff_user, server, PART * 3)
    api.add_upload_files(actor=staff_user, batch_id=batch.id, files=files)
    with pytest.raises(Unavailable):
        api.send_batch(batch.id)
    report = api.upload_report(actor=staff_user, batch_id=batch.id)
    outcomes = [f.outcome for f in report.files.items]
    assert outcomes == [UploadOutcome.STORED] * PART + [UploadOutcome.RECEIVED] * PART * 2
    assert _copies() == []  # neither the failed request's nor the one prepared after it
    assert len(list(manifest.root().glob("*/files/*"))) == PART * 2  # the unsent originals wait


def test_without_read_ahead_the_same_outcomes(staff_user: User, tmp_path: Path, monkeypatch: Any) -> None:
    """``READ_AHEAD`` off (the bench's before): one part after the other, the same result."""
    monkeypatch.setattr("postdicom.cloud.queue._send", lambda *args: None)
    monkeypatch.setattr(uploads, "READ_AHEAD", False)
    copies: list[int] = []

    def server(request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return httpx.Response(200, json=[])
        uids = _uids(request)
        copies.append(len(_copies()))
        return _stored(uids)

    api, batch, files = _upload(tmp_path, staff_user, server, PART * 2)
    api.add_upload_files(actor=staff_user, batch_id=batch.id, files=files)
    assert api.send_batch(batch.id)
    report = api.upload_report(actor=staff_user, batch_id=batch.id)
    assert [f.outcome for f in report.files.items] == [UploadOutcome.STORED] * PART * 2
    assert copies == [PART, PART]  # only the request's own copies exist while it is sent
