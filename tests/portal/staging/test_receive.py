"""The browser's resumable upload in the portal's staging: registering, chunks at offsets,
the per-file lock, handing whole files to the backend, finishing, who may write."""

from __future__ import annotations

import io
import tracemalloc
import uuid
from unittest import mock

import pytest

from portal.staging import disk
from portal.staging import receive as staging
from portal.staging.models import StagedBatch, StagedFile
from portal.staging.types import UploadChunk, UploadFileInfo
from postdicom import get_api
from postdicom import types as t
from postdicom.errors import InvalidInput, NotFound, Unavailable
from postdicom.local.models import UploadItem
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
    return staging.start(actor, institution_id=institution.uuid, **kwargs)


def _register(actor, batch, name, size, last_modified=0):
    return staging.register(actor, batch.id, [UploadFileInfo(name, size, last_modified)])[0]


def _send(actor, batch, file, data: bytes, offset: int = 0):
    return staging.write_chunk(actor, batch.id, file.id, offset, io.BytesIO(data), len(data))


def test_a_file_in_chunks_resumes_where_it_stopped(staff_user, clinic, tmp_path):
    data = make_image(tmp_path / "a.dcm").read_bytes()
    batch = _start(staff_user, clinic)
    file = _register(staff_user, batch, "CT/a.dcm", len(data), 5)
    assert (file.received, file.outcome) == (0, t.UploadOutcome.RECEIVING)
    assert _send(staff_user, batch, file, data[:100]).received == 100
    # A reload: the same file registered again is the same file, with what already arrived.
    again = _register(staff_user, batch, "CT/a.dcm", len(data), 5)
    assert (again.id, again.received) == (file.id, 100)
    # A chunk at the wrong offset writes nothing and says where to continue.
    assert _send(staff_user, batch, file, data[50:], offset=50).received == 100
    with pytest.raises(InvalidInput):
        _send(staff_user, batch, file, data[100:] + b"extra", offset=100)
    assert not UploadItem.objects.exists()  # the backend knows nothing of it yet
    done = _send(staff_user, batch, file, data[100:], offset=100)
    assert (done.received, done.outcome) == (len(data), t.UploadOutcome.RECEIVED)
    (item,) = UploadItem.objects.all()
    assert (item.name, item.size, item.state) == ("CT/a.dcm", len(data), "received")
    assert not disk.file_path(batch.id, file.id).exists()  # moved to the backend
    # Sent again (a retry after a lost answer): nothing written, the file is whole.
    assert _send(staff_user, batch, file, data, offset=0).received == len(data)
    assert UploadItem.objects.count() == 1
    assert staging.finish(staff_user, batch.id).state is t.UploadState.QUEUED
    run(t.UploadReceipt(batch_id=batch.id, file_count=1))
    report = get_api().upload_report(actor=staff_user, batch_id=batch.id)
    assert report.batch.counts == {"stored": 1}
    assert report.files.items[0].order_id == report.orders[0].id
    assert not disk.batch_dir(batch.id).exists()


def test_the_files_one_request_completes_go_to_the_backend_in_one_call(staff_user, clinic, tmp_path):
    images = [make_image(tmp_path / f"{n}.dcm").read_bytes() for n in range(3)]
    batch = _start(staff_user, clinic)
    files = staging.register(staff_user, batch.id, [UploadFileInfo(f"{n}.dcm", len(d)) for n, d in enumerate(images)])
    parts = [UploadChunk(f.id, 0, len(d)) for f, d in zip(files, images, strict=True)]
    parts[2] = UploadChunk(files[2].id, 0, 10)  # the third only begins
    body = io.BytesIO(images[0] + images[1] + images[2][:10])
    calls = []
    api = get_api()
    real = type(api).add_upload_files  # from the class: the instance's attribute is the NUL guard

    def spy(**kwargs):
        calls.append([f.name for f in kwargs["files"]])
        return real(api, **kwargs)

    with mock.patch.object(type(get_api()), "add_upload_files", side_effect=spy):
        states = staging.write_chunks(staff_user, batch.id, parts, body)
    assert calls == [["0.dcm", "1.dcm"]]
    assert [s.received for s in states] == [len(images[0]), len(images[1]), 10]
    assert [s.outcome for s in states] == [t.UploadOutcome.RECEIVED] * 2 + [t.UploadOutcome.RECEIVING]


def test_finishing_needs_every_file_whole(staff_user, clinic):
    batch = _start(staff_user, clinic)
    _register(staff_user, batch, "a.dcm", 10)
    with pytest.raises(InvalidInput) as caught:
        staging.finish(staff_user, batch.id)
    assert "1 file has not been sent completely yet" in caught.value.message
    empty = _register(staff_user, batch, "empty.dcm", 0)
    assert empty.outcome is t.UploadOutcome.RECEIVED  # whole at once, handed over
    assert UploadItem.objects.get(name="empty.dcm").state == "received"


def test_a_whole_file_left_behind_is_handed_over_at_the_finish(staff_user, clinic, tmp_path):
    """A request that died between its last byte and the backend: the finish hands it over."""
    data = make_image(tmp_path / "a.dcm").read_bytes()
    batch = _start(staff_user, clinic)
    file = _register(staff_user, batch, "a.dcm", len(data))
    disk.file_path(batch.id, file.id).write_bytes(data)
    assert staging.finish(staff_user, batch.id).file_count == 1
    assert UploadItem.objects.get().state == "received"


def test_a_file_being_written_is_not_written_by_another_request(staff_user, clinic):
    batch = _start(staff_user, clinic)
    file = _register(staff_user, batch, "a.dcm", 10)
    held = disk.Locked.lock(disk.file_path(batch.id, file.id))
    assert held is not None
    try:
        state = _send(staff_user, batch, file, b"0123456789")
    finally:
        held.close()
    assert state.received == 0
    assert _send(staff_user, batch, file, b"01234").received == 5


@pytest.mark.django_db(transaction=True)
def test_files_the_backend_took_before_it_failed_count_as_handed(staff_user, clinic, tmp_path):
    """The broker away: the backend took the file, then could not queue it (503 to the
    browser); sent again, the file is whole and nothing is written twice."""
    data = make_image(tmp_path / "a.dcm").read_bytes()
    batch = _start(staff_user, clinic)
    file = _register(staff_user, batch, "a.dcm", len(data))

    def broker_away(task, *args):
        raise Unavailable("The broker is away.")

    # Committed for real (``transaction=True``), so the queueing fails inside the call.
    with mock.patch("postdicom.local.uploads.queue._send", broker_away), pytest.raises(Unavailable):
        _send(staff_user, batch, file, data)
    assert StagedFile.objects.get(id=file.id).handed
    assert _send(staff_user, batch, file, data).outcome is t.UploadOutcome.RECEIVED
    assert UploadItem.objects.count() == 1


def test_a_finished_batch_takes_no_more_files(staff_user, clinic):
    batch = _start(staff_user, clinic)
    staging.finish(staff_user, batch.id)
    assert staging.finish(staff_user, batch.id).state is t.UploadState.QUEUED  # twice: no change
    with pytest.raises(InvalidInput):
        _register(staff_user, batch, "late.dcm", 3)


def test_only_the_uploader_and_administrators_write_into_a_batch(
    staff_user, admin_user, limited_user, outsider, clinic
):
    batch = _start(staff_user, clinic)
    file = _register(staff_user, batch, "a.dcm", 4)
    for other in (limited_user, outsider):
        with pytest.raises(NotFound):
            _register(other, batch, "x", 1)
        with pytest.raises(NotFound):
            _send(other, batch, file, b"DI")
        with pytest.raises(NotFound):
            staging.finish(other, batch.id)
    assert _send(admin_user, batch, file, b"DI").received == 2  # administrators may
    assert StagedBatch.objects.get(batch_id=batch.id).user == staff_user
    with pytest.raises(NotFound):
        staging.write_chunk(staff_user, batch.id, uuid.uuid4(), 0, io.BytesIO(b"x"), 1)


def test_a_backend_batch_started_elsewhere_is_taken_on(staff_user, limited_user, clinic):
    batch = get_api().start_upload(actor=staff_user, institution_id=clinic.uuid)
    with pytest.raises(NotFound):
        _register(limited_user, batch, "a.dcm", 1)
    assert not StagedBatch.objects.exists()
    assert _register(staff_user, batch, "a.dcm", 1).received == 0


def test_progress_of_an_open_batch_counts_the_staged_bytes(staff_user, clinic):
    batch = _start(staff_user, clinic)
    file = _register(staff_user, batch, "a.dcm", 10)
    _register(staff_user, batch, "b.dcm", 6)
    _send(staff_user, batch, file, b"0123")
    info = staging.with_progress(get_api().upload_progress(actor=staff_user, batch_id=batch.id))
    assert (info.file_count, info.bytes_total, info.bytes_received) == (2, 16, 4)


def test_bad_registrations_are_refused(staff_user, clinic):
    batch = _start(staff_user, clinic)
    with pytest.raises(InvalidInput):
        _register(staff_user, batch, "a.dcm", -1)
    with pytest.raises(InvalidInput):
        _register(staff_user, batch, "a.dcm", t.UPLOAD_FILE_SIZE_MAX + 1)
    with pytest.raises(InvalidInput):
        _register(staff_user, batch, "a.dcm", 1, staging.LAST_MODIFIED_MAX + 1)
    file = _register(staff_user, batch, "a.dcm", 2)
    with pytest.raises(InvalidInput):
        staging.write_chunks(staff_user, batch.id, [UploadChunk(file.id, 0, 1)] * 2, io.BytesIO(b"ab"))
    with pytest.raises(InvalidInput):
        staging.write_chunks(staff_user, batch.id, [], io.BytesIO(b""))


def test_a_chunk_is_streamed_in_pieces_not_held_whole(staff_user, clinic):
    size = 64 * 1024 * 1024
    batch = _start(staff_user, clinic)
    file = _register(staff_user, batch, "big.bin", size)
    body = Trickle(size)
    tracemalloc.start()
    try:
        state = staging.write_chunk(staff_user, batch.id, file.id, 0, body, size)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert state.received == size
    assert body.biggest <= 1024 * 1024
    assert peak < 8 * 1024 * 1024, peak
