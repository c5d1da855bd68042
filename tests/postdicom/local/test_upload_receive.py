"""The resumable upload protocol in the service: batches, files, chunks, finishing, who sees what."""

from __future__ import annotations

import io
import tracemalloc
import uuid

import pytest

from postdicom import get_api
from postdicom import types as t
from postdicom.errors import InvalidInput, NotFound
from postdicom.local.models import AuditRecord, UploadItem
from tests.uploads.conftest import run, upload_dirs  # noqa: F401
from tests.uploads.files import make_image

pytestmark = pytest.mark.django_db


class Trickle(io.RawIOBase):
    """A request body that produces ``size`` bytes on demand and remembers the biggest read."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.biggest = 0

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.biggest = max(self.biggest, n)
        self.left -= n
        return b"\x07" * n


def _start(actor, institution, **kwargs):
    return get_api().start_upload(actor=actor, institution_id=institution.uuid, **kwargs)


def _send(actor, batch, file, data: bytes, offset: int = 0):
    return get_api().write_upload_chunk(
        actor=actor, batch_id=batch.id, file_id=file.id, offset=offset, stream=io.BytesIO(data), length=len(data)
    )


def test_a_file_in_chunks_resumes_where_it_stopped(staff_user, clinic, tmp_path):
    api = get_api()
    data = make_image(tmp_path / "a.dcm").read_bytes()
    batch = _start(staff_user, clinic)
    file = api.add_upload_file(actor=staff_user, batch_id=batch.id, name="CT/a.dcm", size=len(data), last_modified=5)
    assert (file.received, file.outcome) == (0, t.UploadOutcome.RECEIVING)
    state = _send(staff_user, batch, file, data[:100])
    assert state.received == 100
    # A reload: the same file registered again is the same file, with what already arrived.
    again = api.add_upload_file(actor=staff_user, batch_id=batch.id, name="CT/a.dcm", size=len(data), last_modified=5)
    assert (again.id, again.received) == (file.id, 100)
    # A chunk at the wrong offset writes nothing and says where to continue.
    assert _send(staff_user, batch, file, data[50:], offset=50).received == 100
    with pytest.raises(InvalidInput):
        _send(staff_user, batch, file, data[100:] + b"extra", offset=100)
    done = _send(staff_user, batch, file, data[100:], offset=100)
    assert (done.received, done.outcome) == (len(data), t.UploadOutcome.RECEIVED)
    finished = api.finish_upload(actor=staff_user, batch_id=batch.id)
    assert finished.state is t.UploadState.QUEUED
    run(t.UploadReceipt(batch_id=batch.id, file_count=1))
    report = api.upload_report(actor=staff_user, batch_id=batch.id)
    assert report.batch.counts == {"stored": 1}
    assert report.files.items[0].order_id == report.orders[0].id


def test_finishing_needs_every_file_whole(staff_user, clinic):
    api = get_api()
    batch = _start(staff_user, clinic)
    api.add_upload_file(actor=staff_user, batch_id=batch.id, name="a.dcm", size=10)
    with pytest.raises(InvalidInput):
        api.finish_upload(actor=staff_user, batch_id=batch.id)
    api.add_upload_file(actor=staff_user, batch_id=uuid.UUID(str(batch.id)), name="empty.dcm", size=0)
    assert UploadItem.objects.get(name="empty.dcm").state == "received"


def test_a_finished_batch_takes_no_more_files(staff_user, clinic):
    api = get_api()
    batch = _start(staff_user, clinic)
    api.finish_upload(actor=staff_user, batch_id=batch.id)
    assert api.finish_upload(actor=staff_user, batch_id=batch.id).state is t.UploadState.QUEUED  # twice: no change
    with pytest.raises(InvalidInput):
        api.add_upload_file(actor=staff_user, batch_id=batch.id, name="late.dcm", size=3)


def test_bad_settings_are_refused_together(staff_user, clinic, other_clinic):
    with pytest.raises(InvalidInput) as caught:
        _start(
            staff_user,
            other_clinic,
            anonymize=t.Anonymization(replacements={"StudyDate": "yesterday", "Nonsense": "x"}),
            folder_id=uuid.uuid4(),
        )
    assert {"institution_id", "StudyDate", "Nonsense", "folder_id"} <= set(caught.value.field_errors)


def test_only_the_uploader_and_administrators_see_a_batch(staff_user, admin_user, limited_user, outsider, clinic):
    api = get_api()
    batch = _start(staff_user, clinic)
    assert api.upload_report(actor=admin_user, batch_id=batch.id).batch.id == batch.id
    for other in (limited_user, outsider):
        with pytest.raises(NotFound):
            api.upload_report(actor=other, batch_id=batch.id)
        with pytest.raises(NotFound):
            api.add_upload_file(actor=other, batch_id=batch.id, name="x", size=1)
    assert AuditRecord.objects.filter(action="upload.started", target_id=str(batch.id)).exists()


def test_limited_users_upload_into_their_institution(limited_user, clinic, tmp_path):
    batch = _start(limited_user, clinic)
    assert batch.institution.id == clinic.uuid


def test_a_chunk_is_streamed_in_pieces_not_held_whole(staff_user, clinic):
    api = get_api()
    size = 64 * 1024 * 1024
    batch = _start(staff_user, clinic)
    file = api.add_upload_file(actor=staff_user, batch_id=batch.id, name="big.bin", size=size)
    body = Trickle(size)
    tracemalloc.start()
    try:
        state = api.write_upload_chunk(
            actor=staff_user, batch_id=batch.id, file_id=file.id, offset=0, stream=body, length=size
        )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert state.received == size
    assert body.biggest <= 1024 * 1024
    assert peak < 8 * 1024 * 1024, peak
