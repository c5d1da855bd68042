"""Uploads left open and never resumed: cleared after ``RAYPORT_STAGING_IDLE_DAYS``, never
while a request is in them, closed at the backend too, and their report says so."""

from __future__ import annotations

import datetime as dt
import io
import os
import threading
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portal.sizes import file_size
from portal.staging import cleanup, disk
from portal.staging import receive as staging
from portal.staging.models import StagedBatch, StagedFile
from portal.staging.report import SENDING_LIMIT, staged_report
from portal.staging.tasks import clear_abandoned_uploads
from portal.staging.types import UploadFileInfo
from postdicom import get_api
from postdicom import types as t
from postdicom.errors import InvalidInput, Unavailable
from postdicom.local.models import UploadItem
from tests.uploads.conftest import upload_dirs  # noqa: F401
from tests.uploads.files import make_image

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def _abandoned(actor, clinic, tmp_path, *, days=8):
    """A batch with one file whole (handed to the backend) and one half sent, last touched
    ``days`` ago."""
    data = make_image(tmp_path / "a.dcm").read_bytes()
    batch = staging.start(actor, institution_id=clinic.uuid)
    whole, half = staging.register(actor, batch.id, [UploadFileInfo("a.dcm", len(data)), UploadFileInfo("b.dcm", 40)])
    staging.write_chunk(actor, batch.id, whole.id, 0, io.BytesIO(data), len(data))
    staging.write_chunk(actor, batch.id, half.id, 0, io.BytesIO(b"x" * 20), 20)
    _age(batch.id, days)
    return batch, half


def _age(batch_id, days):
    then = timezone.now() - days * DAY
    StagedBatch.objects.filter(batch_id=batch_id).update(active_at=then)
    for entry in disk.batch_dir(batch_id).iterdir():
        os.utime(entry, (then.timestamp(), then.timestamp()))


def test_an_idle_batch_is_cleared_and_closed_at_the_backend(staff_user, clinic, tmp_path):
    batch, half = _abandoned(staff_user, clinic, tmp_path)
    assert cleanup.clear_abandoned() == [batch.id]
    staged = StagedBatch.objects.get(batch_id=batch.id)
    assert (staged.finished, staged.cleared_files) == (True, 1)
    assert staged.cleared_at is not None
    assert timezone.now() - staged.cleared_at < dt.timedelta(minutes=1)
    assert not StagedFile.objects.filter(batch=staged).exists()
    assert not disk.batch_dir(batch.id).exists()
    # Closed at the backend, with the file that had arrived whole.
    assert get_api().upload_progress(actor=staff_user, batch_id=batch.id).state is not t.UploadState.OPEN
    assert list(UploadItem.objects.values_list("name", flat=True)) == ["a.dcm"]
    # The browser coming back is told, and finishing it changes nothing.
    with pytest.raises(InvalidInput, match="left unfinished"):
        staging.write_chunk(staff_user, batch.id, half.id, 20, io.BytesIO(b"x" * 20), 20)
    with pytest.raises(InvalidInput, match="left unfinished"):
        staging.register(staff_user, batch.id, [UploadFileInfo("c.dcm", 5)])
    assert not disk.batch_dir(batch.id).exists()  # registering did not make its folder again
    staging.finish(staff_user, batch.id)
    assert cleanup.clear_abandoned() == []


def test_a_whole_file_not_handed_over_yet_is_stored_not_removed(staff_user, clinic, tmp_path):
    """A request died between a file's last byte and the backend: the file is whole, so it
    goes to the backend as finishing would have sent it."""
    data = make_image(tmp_path / "a.dcm").read_bytes()
    batch = staging.start(staff_user, institution_id=clinic.uuid)
    (file,) = staging.register(staff_user, batch.id, [UploadFileInfo("a.dcm", len(data))])
    disk.file_path(batch.id, file.id).write_bytes(data)
    _age(batch.id, 8)
    assert cleanup.clear_abandoned() == [batch.id]
    assert StagedBatch.objects.get(batch_id=batch.id).cleared_files == 0
    assert UploadItem.objects.get().name == "a.dcm"


@pytest.mark.parametrize("days", [1, 6])
def test_a_batch_idle_for_less_than_the_setting_stays(staff_user, clinic, tmp_path, days):
    batch, _half = _abandoned(staff_user, clinic, tmp_path, days=days)
    assert cleanup.clear_abandoned() == []
    assert not StagedBatch.objects.get(batch_id=batch.id).finished


def test_the_setting_decides_how_long_idle_is(staff_user, clinic, tmp_path, settings):
    batch, _half = _abandoned(staff_user, clinic, tmp_path, days=3)
    settings.RAYPORT_STAGING_IDLE_DAYS = 2
    assert cleanup.clear_abandoned() == [batch.id]


def test_bytes_written_lately_keep_a_batch_whose_files_were_registered_long_ago(staff_user, clinic, tmp_path):
    batch, half = _abandoned(staff_user, clinic, tmp_path)
    staging.write_chunk(staff_user, batch.id, half.id, 20, io.BytesIO(b"y" * 5), 5)
    assert cleanup.clear_abandoned() == []
    _age(batch.id, 8)
    assert cleanup.clear_abandoned() == [batch.id]


def test_registering_files_again_keeps_it(staff_user, clinic, tmp_path):
    batch, _half = _abandoned(staff_user, clinic, tmp_path)
    staging.register(staff_user, batch.id, [UploadFileInfo("b.dcm", 40)])  # a browser resuming
    assert cleanup.clear_abandoned() == []


def test_a_batch_a_request_is_in_is_left_alone(staff_user, clinic, tmp_path):
    batch, _half = _abandoned(staff_user, clinic, tmp_path)
    with disk.writing(batch.id) as locked:
        assert locked
        assert cleanup.clear_abandoned() == []
    assert cleanup.clear_abandoned() == [batch.id]


@pytest.mark.django_db(transaction=True)
def test_a_request_that_waited_for_the_cleaner_finds_the_batch_closed(staff_user, clinic, tmp_path):
    """The cleaner holds the batch's lock while it closes the batch at the backend; a chunk
    arriving then waits for it, and is refused as a closed batch, writing nothing."""
    batch, half = _abandoned(staff_user, clinic, tmp_path)
    closing, go_on = threading.Event(), threading.Event()
    real_finish = type(get_api()).finish_upload

    def slow_finish(api, **kwargs):
        closing.set()
        assert go_on.wait(10)
        return real_finish(api, **kwargs)

    outcome: list[object] = []

    def chunk() -> None:
        try:
            staging.write_chunk(staff_user, batch.id, half.id, 20, io.BytesIO(b"z" * 20), 20)
            outcome.append("written")
        except InvalidInput as error:
            outcome.append(error.message)
        finally:
            connection.close()  # this thread's own: it would keep the test database from going

    def clear() -> None:
        try:
            cleanup.clear_abandoned()
        finally:
            connection.close()

    writer = threading.Thread(target=chunk)
    with mock.patch.object(type(get_api()), "finish_upload", autospec=True, side_effect=slow_finish):
        cleaner = threading.Thread(target=clear)
        cleaner.start()
        assert closing.wait(10)
        writer.start()
        writer.join(0.5)
        assert writer.is_alive()  # waiting for the cleaner's lock
        go_on.set()
        cleaner.join(10)
        writer.join(10)
    assert len(outcome) == 1
    assert "left unfinished" in str(outcome[0])
    assert StagedBatch.objects.get(batch_id=batch.id).cleared_at is not None


def test_a_backend_that_is_away_leaves_it_for_the_next_run(staff_user, clinic, tmp_path):
    batch, _half = _abandoned(staff_user, clinic, tmp_path)
    with mock.patch.object(type(get_api()), "finish_upload", side_effect=Unavailable("away")):
        assert cleanup.clear_abandoned() == []
    assert not StagedBatch.objects.get(batch_id=batch.id).finished
    assert disk.batch_dir(batch.id).exists()
    assert cleanup.clear_abandoned() == [batch.id]


def test_a_batch_whose_user_was_deactivated_is_cleared_here(staff_user, clinic, tmp_path):
    batch, _half = _abandoned(staff_user, clinic, tmp_path)
    staff_user.is_active = False
    staff_user.save(update_fields=["is_active"])
    assert cleanup.clear_abandoned() == [batch.id]
    staged = StagedBatch.objects.get(batch_id=batch.id)
    assert (staged.finished, staged.cleared_files) == (True, 1)
    assert not disk.batch_dir(batch.id).exists()


def test_a_batch_taken_on_without_a_folder_is_cleared_too(staff_user, clinic, tmp_path):
    batch = staging.start(staff_user, institution_id=clinic.uuid)
    disk.batch_dir(batch.id).rmdir()
    StagedBatch.objects.filter(batch_id=batch.id).update(active_at=timezone.now() - 8 * DAY)
    assert cleanup.clear_abandoned() == [batch.id]
    assert not disk.batch_dir(batch.id).exists()


def test_the_hourly_beat_task_clears_them(staff_user, clinic, tmp_path):
    entry = settings.CELERY_BEAT_SCHEDULE["clear-abandoned-uploads"]
    assert entry["task"] == clear_abandoned_uploads.name
    batch, _half = _abandoned(staff_user, clinic, tmp_path)
    assert clear_abandoned_uploads.apply().get() == 1
    assert StagedBatch.objects.get(batch_id=batch.id).finished


# --- The report --------------------------------------------------------------------------------


def test_the_report_lists_the_files_still_being_sent(client, staff_user, clinic, tmp_path):
    batch, _half = _abandoned(staff_user, clinic, tmp_path, days=0)
    client.force_login(staff_user)
    page = client.get(reverse("orders:upload_batch", kwargs={"batch_id": batch.id}))
    assert page.status_code == 200
    sending = page.content.decode().split('id="upload-sending"')[1]
    assert "b.dcm" in sending
    assert "a.dcm" not in sending  # whole: the backend has it
    assert f"{file_size(20)} / {file_size(40)}" in sending  # received so far, of its size


def test_a_report_lists_at_most_a_page_of_files_still_being_sent(staff_user, clinic):
    batch = staging.start(staff_user, institution_id=clinic.uuid)
    names = [f"f{n:03}.dcm" for n in range(SENDING_LIMIT + 5)]
    staging.register(staff_user, batch.id, [UploadFileInfo(name, 10) for name in names])
    info = get_api().upload_progress(actor=staff_user, batch_id=batch.id)
    staged = staged_report(info)
    assert [f.name for f in staged.sending] == names[:SENDING_LIMIT]
    assert (staged.sending_total, staged.sending_more) == (SENDING_LIMIT + 5, 5)
    assert all(f.outcome is t.UploadOutcome.RECEIVING and f.received == 0 for f in staged.sending)


def test_the_report_of_a_cleared_batch_says_so(client, staff_user, clinic, tmp_path):
    batch, _half = _abandoned(staff_user, clinic, tmp_path)
    cleanup.clear_abandoned()
    client.force_login(staff_user)
    page = client.get(reverse("orders:upload_batch", kwargs={"batch_id": batch.id})).content.decode()
    assert "This upload was left unfinished and was closed on" in page
    assert "1 file that had not arrived completely was removed" in page
    assert 'id="upload-sending"' not in page
