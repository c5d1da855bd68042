"""``postdicom.local.uploads.digests``: the SHA-256 of files a request stored without it."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from pydicom.uid import generate_uid

from postdicom import get_api
from postdicom import types as t
from postdicom.local.models import InstanceRecord
from postdicom.local.tasks import fill_missing_digests
from postdicom.local.uploads import digests
from postdicom.local.uploads.storage import file_storage, stored_sha256
from tests.uploads.conftest import upload_dirs  # noqa: F401
from tests.uploads.files import make_image


def _stored_in_a_request(user, clinic, tmp_path, count: int) -> list[InstanceRecord]:
    study, series = generate_uid(), generate_uid()
    paths = [make_image(tmp_path / "in" / f"{n}.dcm", study_uid=study, series_uid=series) for n in range(count)]
    files = [t.UploadFile(name=path.name, path=str(path), size=path.stat().st_size) for path in paths]
    get_api().upload_dicom(actor=user, institution_id=clinic.uuid, files=files, store_now=True)
    return list(InstanceRecord.objects.filter(stored=True).order_by("pk"))


def test_the_digests_a_request_left_are_filled_in(staff_user, clinic, tmp_path):
    rows = _stored_in_a_request(staff_user, clinic, tmp_path, 3)
    assert [row.sha256 for row in rows] == ["", "", ""]
    study = rows[0].series.study_id
    assert digests.fill_for([study]) == 3
    for row in rows:
        row.refresh_from_db()
        assert row.sha256 == stored_sha256(row.file_name)
    assert digests.fill_for([study]) == 0  # nothing left to do


def test_a_file_that_cannot_be_read_is_logged_and_the_others_filled(staff_user, clinic, tmp_path, caplog):
    rows = _stored_in_a_request(staff_user, clinic, tmp_path, 2)
    file_storage().delete(rows[0].file_name)
    with caplog.at_level(logging.WARNING, logger="postdicom.local.uploads.digests"):
        assert digests.fill_for([rows[0].series.study_id]) == 1
    assert rows[0].file_name in caplog.text
    assert [row.sha256 for row in InstanceRecord.objects.order_by("pk")] == ["", stored_sha256(rows[1].file_name)]


def test_the_sweep_fills_in_what_no_worker_step_did_oldest_first(staff_user, clinic, tmp_path):
    """A batch whose worker step never ran (the broker away when it was answered) is made up
    for by the hourly sweep, once its images are older than ``LEFT_AFTER``."""
    rows = _stored_in_a_request(staff_user, clinic, tmp_path, 3)
    left = timezone.now() - digests.LEFT_AFTER - dt.timedelta(minutes=1)
    InstanceRecord.objects.filter(pk__in=[rows[0].pk, rows[1].pk]).update(created_at=left)
    assert digests.fill_left(limit=1) == 1  # the oldest first, at most the limit
    assert fill_missing_digests() == 1
    assert [row.sha256 for row in InstanceRecord.objects.order_by("pk")] == [
        stored_sha256(rows[0].file_name),
        stored_sha256(rows[1].file_name),
        "",  # too recent: its batch's own step may still come
    ]
    assert fill_missing_digests() == 0


def test_the_sweep_is_scheduled_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["fill-missing-digests"]
    assert entry["task"] == fill_missing_digests.name
    assert entry["schedule"].remaining_estimate(timezone.now()) <= dt.timedelta(hours=1)
