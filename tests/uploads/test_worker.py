"""The ingest on a real Celery worker (a subprocess on Redis and the test database).

* A worker killed with SIGKILL in the middle of a batch, then started again, ends with every
  file stored exactly once and no stray file in storage or in the upload folder.
* The same instances sent in twenty batches at once, ingested by four worker processes
  racing each other, are stored once.

The broker is a Redis server of the test's own, on a free port: the test needs an empty
broker, and emptying a Redis database others use (a developer's ``make run``, another test
run) would lose their queued work, while their workers could take this test's tasks.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Count

from portal.celery import app as celery_app
from postdicom import get_api
from postdicom.local.models import BatchState, InstanceRecord, PatientOrder, StudyRecord, UploadBatch, UploadItem
from postdicom.types import UploadFile
from tests.missing import missing
from tests.uploads.conftest import local_storage
from tests.uploads.files import make_image

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def broker(tmp_path) -> Iterator[str]:
    """A Redis server of this test's own (no data kept), and this process's Celery app
    sending to it for the test's duration; its URL."""
    server = shutil.which("redis-server")
    if server is None:
        missing("the worker tests start a Redis server of their own: install redis-server (make services)")
    port = _free_port()
    command = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait(lambda: _answers(url), 10, "the Redis server", tmp_path / "none")
        with _celery_broker(url):
            yield url
    finally:
        process.terminate()
        process.wait(10)


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=0.5).ping())
    except redis.ConnectionError:
        return False


@contextmanager
def _celery_broker(url: str) -> Iterator[None]:
    """Point this process's Celery app (which sends the tasks) at ``url``, then back."""
    conf = celery_app.conf
    before = {"broker_url": conf.broker_url, "broker_transport_options": conf.broker_transport_options}
    app: Any = celery_app  # the connection pools are private: dropped so the next send connects anew

    def forget_connections() -> None:
        if app._pool is not None:
            app._pool.force_close_all()
            app._pool = None
        app.amqp._producer_pool = None

    forget_connections()
    conf.update(
        broker_url=url, broker_transport_options={"visibility_timeout": django_settings.CELERY_VISIBILITY_TIMEOUT}
    )
    try:
        yield
    finally:
        forget_connections()
        conf.update(before)


@pytest.fixture(autouse=True)
def upload_dirs(settings, tmp_path):
    """Overrides the package's fixture: here tasks really go to the broker, and the worker
    (another process) must use the same folders, so they live in a data folder of its own."""
    data = tmp_path / "data"
    local_storage(settings, data)
    return data


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, data: Path, concurrency: int, broker: str) -> None:
        self.data, self.concurrency, self.broker = data, concurrency, broker
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data / "worker.log"

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": self.broker,
            "RAYPORT_DATA_DIR": str(self.data),
            "RAYPORT_LOG_LEVEL": "info",
        }
        command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--concurrency", str(self.concurrency)]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "info"]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker(upload_dirs, broker):
    workers: list[Worker] = []

    def make(concurrency: int = 2) -> Worker:
        w = Worker(upload_dirs, concurrency, broker)
        workers.append(w)
        return w

    yield make
    for w in workers:
        w.stop()


def _wait(condition, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    shown = log.read_text()[-4000:] if log.exists() else "(none)"
    pytest.fail(f"timed out waiting for {what}; worker log:\n{shown}")


def _send(actor, institution, paths, staging: Path):
    staging.mkdir(parents=True, exist_ok=True)
    files = []
    for path in paths:
        copy = staging / f"{time.monotonic_ns()}-{path.name}"
        copy.write_bytes(path.read_bytes())
        files.append(UploadFile(name=path.name, path=str(copy), size=copy.stat().st_size))
    return get_api().upload_dicom(actor=actor, institution_id=institution.uuid, files=files)


def _storage_files(data: Path) -> list[str]:
    media = data / "media"
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def test_sigkill_mid_batch_then_restart_stores_every_file_once(staff_user, clinic, tmp_path, worker, upload_dirs):
    paths = [make_image(tmp_path / "in" / f"{i:03d}.dcm", rows=256, columns=256) for i in range(150)]
    paths.append(paths[0])  # the same instance twice in one batch
    first = worker(concurrency=1)
    first.start()
    receipt = _send(staff_user, clinic, paths, tmp_path / "staging")
    batch = UploadBatch.objects.get(uuid=receipt.batch_id)

    def stored() -> int:
        return UploadItem.objects.filter(batch=batch, state="stored").count()

    _wait(lambda: stored() >= 10, 60, "the first files", first.log)
    first.kill()
    assert stored() < 150, "the batch finished before the worker was killed: make it bigger"
    second = worker(concurrency=2)
    second.start()
    _wait(lambda: UploadBatch.objects.get(pk=batch.pk).state == BatchState.DONE, 120, "the batch to finish", second.log)
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
    _wait(lambda: UploadBatch.objects.filter(state=BatchState.DONE).count() == 20, 120, "twenty batches", racing.log)
    assert InstanceRecord.objects.count() == 5
    # one order per study: the racing workers wait for each other on the Study UID
    assert PatientOrder.objects.count() == StudyRecord.objects.count() == 5
    assert UploadItem.objects.filter(state="stored").count() == 5
    assert UploadItem.objects.filter(state="duplicate").count() == 95
    assert len(_storage_files(upload_dirs)) == 5
    assert len({r.batch_id for r in receipts}) == 20
