"""A cloud upload's manifest: written whole or not at all, changed under a lock, one sender at
a time, and found by the workers' sweep while it has work and no recent try."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from postdicom.cloud import manifest, tasks
from postdicom.cloud.manifest import Manifest
from postdicom.cloud.uploads import SWEEP_AFTER, sweep_due
from postdicom.types import UploadOutcome, UploadState
from tests.disk_order import disk_order


@pytest.fixture(autouse=True)
def upload_dir(settings: Any, tmp_path: Path) -> Path:
    settings.RAYPORT_UPLOAD_DIR = tmp_path
    return tmp_path


def _batch(**changes: Any) -> Manifest:
    made = Manifest(
        id=str(uuid.uuid4()),
        username="sam",
        created_by="Sam Staff",
        created_at=dt.datetime(2026, 12, 3, tzinfo=dt.UTC).isoformat(),
        institution_id=str(uuid.uuid4()),
        **changes,
    )
    manifest.create(made)
    return made


def test_a_change_is_written_and_read_back() -> None:
    batch = _batch()
    with manifest.changing(batch.id) as current:
        assert current is not None
        current.files.append(manifest.new_entry("Ñandú/IM1", 10))
    again = manifest.read(batch.id)
    assert again is not None
    assert [e.name for e in again.files] == ["Ñandú/IM1"]
    assert again.info().counts == {UploadOutcome.RECEIVED.value: 1}
    assert not list(manifest.folder(batch.id).glob("*.tmp"))  # written through a temporary file, renamed
    assert manifest.read(uuid.uuid4()) is None
    assert manifest.read("../../etc") is None


def test_what_a_change_wrote_lasts_once_it_returns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A power cut after the call cannot take back what it said it kept: the file taken in
    and the folder naming it are synced before the manifest that lists it is renamed into
    place, the sweep's new marker before that too, and the manifest's folder after the
    rename (else the previous manifest, without the file, could come back)."""
    with disk_order(monkeypatch) as order:
        batch = _batch()
    assert order.synced_after([manifest.root(), manifest.folder(batch.id)], "manifest.json")  # a new batch
    received = tmp_path / "staging" / "IM1"
    received.parent.mkdir()
    received.write_bytes(b"DICM")
    with disk_order(monkeypatch) as order, manifest.changing(batch.id) as current:
        assert current is not None
        entry = manifest.new_entry("IM1", 4)
        manifest.take_in(batch.id, [(entry, str(received))])
        current.files.append(entry)
    taken = manifest.file_path(batch.id, entry)
    assert taken.read_bytes() == b"DICM"
    assert not received.exists()
    marker = manifest.root() / manifest.PENDING
    assert order.synced_before([taken, taken.parent, marker], "manifest.json")
    assert order.synced_after([manifest.folder(batch.id)], "manifest.json")


def test_a_failed_change_writes_nothing() -> None:
    batch = _batch()

    def dies_half_way() -> None:
        with manifest.changing(batch.id) as current:
            assert current is not None
            current.state = UploadState.DONE.value
            raise RuntimeError("the worker died")

    with pytest.raises(RuntimeError):
        dies_half_way()
    assert manifest.read(batch.id).state == UploadState.OPEN.value  # type: ignore[union-attr]


def test_one_sender_at_a_time() -> None:
    batch = _batch()
    with manifest.sending(batch.id) as first, manifest.sending(batch.id) as second:
        assert (first, second) == (True, False)
    with manifest.sending(batch.id) as later:
        assert later


def test_the_sweep_takes_batches_with_work_and_no_recent_try(monkeypatch: Any) -> None:
    now = dt.datetime.now(dt.UTC)
    idle = _batch(state=UploadState.QUEUED.value)
    trying = _batch(state=UploadState.QUEUED.value, attempt_at=now.isoformat())
    stale = _batch(state=UploadState.QUEUED.value, attempt_at=(now - SWEEP_AFTER * 2).isoformat())
    done = _batch(state=UploadState.DONE.value, filed=True)
    opened = _batch()  # open, no file yet: nothing to send
    assert set(manifest.pending_batches()) == {idle.id, trying.id, stale.id}
    assert [sweep_due(manifest.read(b.id), now) for b in (idle, trying, stale, done, opened)] == [  # type: ignore[arg-type]
        True,
        False,
        True,
        False,
        False,
    ]
    queued: list[str] = []
    monkeypatch.setattr(tasks, "_backend", lambda: object())
    monkeypatch.setattr("postdicom.cloud.queue.send_batch", queued.append)
    assert tasks.resume_cloud_uploads() == 2
    assert set(queued) == {idle.id, stale.id}


def _aged(batch: Manifest, days: float) -> None:
    """As if the batch's manifest was last written ``days`` ago."""
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).timestamp()
    os.utime(manifest.folder(batch.id) / "manifest.json", (when, when))


def test_batches_done_for_longer_than_the_report_days_are_removed(settings: Any) -> None:
    """``RAYPORT_CLOUD_UPLOAD_REPORT_DAYS`` after its last change a batch with nothing left to
    do leaves the disk with its report; a younger one stays, and so does an old one with
    files still to send (a long outage loses nothing)."""
    settings.RAYPORT_CLOUD_UPLOAD_REPORT_DAYS = 30
    old_done = _batch(state=UploadState.DONE.value, filed=True)
    young_done = _batch(state=UploadState.DONE.value, filed=True)
    old_unsent = _batch(state=UploadState.QUEUED.value)
    with manifest.changing(old_unsent.id) as current:
        assert current is not None
        current.files.append(manifest.new_entry("IM1", 10))
    abandoned = _batch()  # opened, never given a file
    _aged(old_done, 31)
    _aged(young_done, 29)
    _aged(old_unsent, 90)
    _aged(abandoned, 31)
    assert tasks.expire_cloud_uploads() == 2
    assert manifest.read(old_done.id) is None
    assert not manifest.folder(old_done.id).exists()
    assert manifest.read(abandoned.id) is None
    assert manifest.read(young_done.id) is not None
    assert manifest.read(old_unsent.id) is not None
    assert tasks.expire_cloud_uploads() == 0
    settings.RAYPORT_CLOUD_UPLOAD_REPORT_DAYS = 7
    assert tasks.expire_cloud_uploads() == 1  # the 29-day-old one, now past the days
    assert manifest.read(young_done.id) is None


def test_the_clean_up_runs_daily_by_beat(settings: Any) -> None:
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == tasks.expire_cloud_uploads.name)
    assert entry["schedule"].hour == {3}


def _reads(monkeypatch: Any) -> list[str]:
    """The batch ids ``manifest.read`` is asked for from now on."""
    asked: list[str] = []
    real = manifest.read

    def counted(batch_id: Any) -> Manifest | None:
        asked.append(str(uuid.UUID(str(batch_id))))
        return real(batch_id)

    monkeypatch.setattr(manifest, "read", counted)
    return asked


def test_the_sweep_reads_no_finished_manifest(monkeypatch: Any) -> None:
    """The sweep runs every minute: it reads the batches marked as having work, not the
    finished ones; a batch leaves the index when its work is done and comes back with more."""
    finished = [_batch(state=UploadState.DONE.value, filed=True) for _ in range(5)]
    unsent = _batch(state=UploadState.QUEUED.value)
    with manifest.changing(unsent.id) as current:
        assert current is not None
        current.files.append(manifest.new_entry("IM1", 10))
    manifest.pending_batches()  # the index is complete from here on
    asked = _reads(monkeypatch)
    assert manifest.pending_batches() == [unsent.id]
    assert asked == [unsent.id]
    with manifest.changing(unsent.id) as current:
        assert current is not None
        current.files[0].outcome = UploadOutcome.STORED.value
        current.state, current.filed = UploadState.DONE.value, True
    asked.clear()
    assert manifest.pending_batches() == []
    assert asked == []
    with manifest.changing(finished[0].id) as current:  # an open batch given a file has work again
        assert current is not None
        current.state = UploadState.OPEN.value
        current.files.append(manifest.new_entry("IM2", 10))
    assert manifest.pending_batches() == [finished[0].id]


def test_batches_written_before_the_index_are_found_once(monkeypatch: Any) -> None:
    """Manifests from before the index (a portal upgraded with uploads waiting) are read once
    to build it; stale markers (a crash between a manifest and its marker, a removed batch)
    are dropped."""
    waiting = _batch(state=UploadState.QUEUED.value, filed=False)
    done = _batch(state=UploadState.DONE.value, filed=True)
    index = manifest.root() / manifest.PENDING
    assert (index / manifest.folder(waiting.id).name).exists()
    for marker in index.iterdir():
        marker.unlink()
    index.rmdir()
    asked = _reads(monkeypatch)
    assert manifest.pending_batches() == [waiting.id]
    assert set(asked) >= {waiting.id, done.id}
    (index / manifest.folder(done.id).name).touch()  # stale: its batch has nothing to do
    (index / uuid.uuid4().hex).touch()  # stale: no such batch
    asked.clear()
    assert manifest.pending_batches() == [waiting.id]
    assert done.id not in manifest.pending_batches()
    assert sorted(p.name for p in index.iterdir()) == sorted([manifest.BUILT, manifest.folder(waiting.id).name])
