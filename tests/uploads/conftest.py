"""Fixtures for upload tests: a private storage and upload folder per test, and helpers to
upload files through the service and run the ingest the way a worker does."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import TestCase

from postdicom import get_api
from postdicom.local.models import UploadBatch
from postdicom.local.uploads.indexing import forget_cached_series
from postdicom.local.uploads.ingest import run_batch
from postdicom.types import UploadFile
from tests.worker_harness import RedisServer, Worker, celery_broker


@pytest.fixture(autouse=True)
def upload_dirs(settings, tmp_path, monkeypatch):
    """Files go to this test's own folders, and nothing is sent to a broker: tests run the
    ingest themselves (``run``), or start a real worker (tests/uploads/test_worker.py)."""
    forget_cached_series()  # pks of rows an earlier test rolled back
    monkeypatch.setattr("postdicom.local.uploads.queue._send", lambda task, *args: None)
    local_storage(settings, tmp_path)
    return tmp_path


@pytest.fixture
def broker(tmp_path) -> Iterator[RedisServer]:
    """A Redis server of this test's own, and this process's Celery app sending to it for the
    test's duration. The tests that use it need an empty broker, and emptying a Redis database
    others use (a developer's ``make run``, another test run) would lose their queued work,
    while their workers could take this test's tasks."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        with celery_broker(server.url):
            yield server
    finally:
        server.kill()


@pytest.fixture
def worker(upload_dirs, broker) -> Iterator[Callable[..., Worker]]:
    """Makes workers on ``broker`` and the test's folders (the module overrides
    ``upload_dirs`` with folders the worker can use); stops them at the end."""
    workers: list[Worker] = []

    def make(concurrency: int = 2) -> Worker:
        made = Worker(upload_dirs, broker.url, concurrency)
        workers.append(made)
        return made

    yield make
    for made in workers:
        made.stop()


def worker_storage(settings, tmp_path) -> Path:
    """Folders for a module whose tasks really go to the broker: the worker (another process)
    must use the same folders, so they live in a data folder of its own."""
    data = tmp_path / "data"
    local_storage(settings, data)
    return data


def local_storage(settings, root: Path) -> None:
    """Stored files go to ``root/media``, received ones to ``root/uploads`` and the browser's
    staged ones to ``root/uploads/staging`` (made here)."""
    storages = copy.deepcopy(django_settings.STORAGES)
    storages["dicom"] = {
        "BACKEND": "postdicom.local.uploads.storage.AtomicFileSystemStorage",
        "OPTIONS": {"location": str(root / "media")},
    }
    settings.STORAGES = storages
    settings.RAYPORT_UPLOAD_DIR = root / "uploads"
    settings.RAYPORT_STAGING_DIR = root / "uploads" / "staging"
    (root / "uploads" / "staging").mkdir(parents=True, exist_ok=True)


def stored_files(root: Path) -> list[Path]:
    """Every file in storage (relative), part files included, except the studies' thumbnails
    (the ingest worker draws them after a batch; tests/orders/test_thumbnails.py has theirs)."""
    media = root / "media"
    if not media.exists():
        return []
    found = (p.relative_to(media) for p in media.rglob("*") if p.is_file())
    return sorted(p for p in found if p.parts[0] != "thumbnails")


def upload(actor, institution, paths, tmp_path, *, folder_id=None, anonymize=None, ingest=True):
    """Upload copies of ``paths`` through ``upload_dicom`` and (by default) ingest them."""
    staging = tmp_path / "staging"
    staging.mkdir(exist_ok=True)
    files = []
    for index, path in enumerate(paths):
        copy_path = staging / f"{index:05d}-{Path(path).name}"
        shutil.copyfile(path, copy_path)
        files.append(UploadFile(name=Path(path).name, path=str(copy_path), size=copy_path.stat().st_size))
    receipt = get_api().upload_dicom(
        actor=actor, institution_id=institution.uuid, files=files, folder_id=folder_id, anonymize=anonymize
    )
    if ingest:
        run(receipt)
    return receipt


def report(actor, receipt, page_size=500):
    return get_api().upload_report(actor=actor, batch_id=receipt.batch_id, page_size=page_size)


def outcomes(actor, receipt) -> dict[str, tuple[str, str]]:
    """file name → (outcome, reason)."""
    return {f.name: (f.outcome.value, f.reason) for f in report(actor, receipt).files.items}


def run(receipt):
    """Ingest the batch as a worker would, running its after-commit steps too."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        run_batch(UploadBatch.objects.get(uuid=receipt.batch_id).pk)
