"""The ingest on a real Celery worker (a subprocess on Redis and the test database).

* A worker killed with SIGKILL in the middle of a batch, then started again, ends with every
  file stored exactly once and no stray file in storage or in the upload folder.
* The same instances sent in twenty batches at once, ingested by four worker processes
  racing each other, are stored once.

The broker is a Redis server of the test's own (``broker`` in tests/uploads/conftest.py).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.db.models import Count

from postdicom import get_api
from postdicom.local.models import BatchState, InstanceRecord, PatientOrder, StudyRecord, UploadBatch, UploadItem
from postdicom.types import UploadFile
from tests.uploads.conftest import worker_storage
from tests.uploads.files import make_image
from tests.worker_harness import wait

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def upload_dirs(settings, tmp_path):
    """Overrides the package's fixture: here tasks really go to the broker."""
    return worker_storage(settings, tmp_path)


def _send(actor, institution, paths, staging: Path):
    staging.mkdir(parents=True, exist_ok=True)
    files = []
    for path in paths:
        copy = staging / f"{time.monotonic_ns()}-{path.name}"
        copy.write_bytes(path.read_bytes())
        files.append(UploadFile(name=path.name, path=str(copy), size=copy.stat().st_size))
    return get_api().upload_dicom(actor=actor, institution_id=institution.uuid, files=files)


def _storage_files(data: Path) -> list[str]:
    """The stored files, without the studies' thumbnails (the worker draws them after a batch)."""
    media = data / "media"
    found = (p.relative_to(media) for p in media.rglob("*") if p.is_file())
    return sorted(str(p) for p in found if p.parts[0] != "thumbnails")


def test_sigkill_mid_batch_then_restart_stores_every_file_once(staff_user, clinic, tmp_path, worker, upload_dirs):
    paths = [make_image(tmp_path / "in" / f"{i:03d}.dcm", rows=256, columns=256) for i in range(150)]
    paths.append(paths[0])  # the same instance twice in one batch
    first = worker(concurrency=1)
    first.start()
    receipt = _send(staff_user, clinic, paths, tmp_path / "staging")
    batch = UploadBatch.objects.get(uuid=receipt.batch_id)

    def stored() -> int:
        return UploadItem.objects.filter(batch=batch, state="stored").count()

    wait(lambda: stored() >= 10, 60, "the first files", first.log)
    first.kill()
    assert stored() < 150, "the batch finished before the worker was killed: make it bigger"
    second = worker(concurrency=2)
    second.start()
    wait(lambda: UploadBatch.objects.get(pk=batch.pk).state == BatchState.DONE, 120, "the batch to finish", second.log)
    counts = dict(UploadItem.objects.filter(batch=batch).values_list("state").annotate(n=Count("id")))
    assert counts == {"stored": 150, "duplicate": 1}
    assert InstanceRecord.objects.filter(stored=True).count() == 150
    names = set(InstanceRecord.objects.values_list("file_name", flat=True))
    assert _storage_files(upload_dirs) == sorted(names)  # no part files, no copies
    assert not any((upload_dirs / "uploads").glob("*-*-*"))  # the batch's folder is gone


def test_the_same_instances_from_twenty_clients_are_stored_once(staff_user, clinic, tmp_path, worker, upload_dirs):
    paths = [make_image(tmp_path / "in" / f"{i}.dcm") for i in range(5)]
    receipts = [_send(staff_user, clinic, paths, tmp_path / f"staging{n}") for n in range(20)]
    racing = worker(concurrency=4)
    racing.start()
    wait(lambda: UploadBatch.objects.filter(state=BatchState.DONE).count() == 20, 120, "twenty batches", racing.log)
    assert InstanceRecord.objects.count() == 5
    # one order per study: the racing workers wait for each other on the Study UID
    assert PatientOrder.objects.count() == StudyRecord.objects.count() == 5
    assert UploadItem.objects.filter(state="stored").count() == 5
    assert UploadItem.objects.filter(state="duplicate").count() == 95
    assert len(_storage_files(upload_dirs)) == 5
    assert len({r.batch_id for r in receipts}) == 20
