"""The broker (Redis) goes away in the middle of uploads and comes back.

A Redis server of the test's own (its own port, no persistence: a restart loses every queued
message, as a crash would), a real Celery worker subprocess on it and on the test database,
and the browser's protocol through the test client:

* while Redis is down, the upload requests whose work cannot be queued answer a JSON 503 with
  ``Retry-After`` (never a 500), and the bytes they carried are kept;
* the worker, busy when Redis died, survives Redis's restart;
* with nobody doing anything, every file of every batch is stored within a minute of Redis's
  return (the worker's sweep on reconnecting finds what could not be queued or was lost).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import current_app
from django.db import connection
from django.urls import reverse

from postdicom.local.models import BatchState, InstanceRecord, UploadBatch, UploadItem
from tests.missing import missing
from tests.uploads.conftest import local_storage
from tests.uploads.files import make_image

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
REDIS_PORT = 12379  # this branch's own port range


def _free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


class RedisServer:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            missing("the broker outage tests need the redis-server binary (Debian's redis-server)")
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.folder)]
        with open(self.folder / "redis.log", "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 10
        while _free(self.port):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def redis_server(tmp_path):
    if not _free(REDIS_PORT):
        pytest.fail(f"port {REDIS_PORT} is taken")
    server = RedisServer(tmp_path, REDIS_PORT)
    server.start()
    # This process's producers (the web side) talk to this server too.
    before = current_app.conf.broker_url
    _use_broker(server.url)
    yield server
    server.kill()
    _use_broker(before)


def _use_broker(url: str) -> None:
    """Point this process's Celery app at ``url``, dropping its pooled connections (as after
    a fork)."""
    current_app.conf.broker_url = url  # type: ignore[misc]
    current_app._after_fork()  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def upload_dirs(settings, tmp_path):
    """Overrides the package's fixture: here tasks really go to the broker, and the worker
    (another process) must use the same folders, so they live in a data folder of its own."""
    data = tmp_path / "data"
    local_storage(settings, data)
    return data


@pytest.fixture
def data_dir(upload_dirs):
    return upload_dirs


@pytest.fixture
def worker(data_dir, redis_server):
    """Starts a worker when called (after the test queued its first work)."""
    processes: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        process = _start_worker(data_dir, redis_server)
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def _start_worker(data_dir: Path, redis_server: RedisServer) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_server.url,
        "RAYPORT_DATA_DIR": str(data_dir),
        "RAYPORT_LOG_LEVEL": "info",
    }
    log_path = data_dir / "worker.log"
    command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--concurrency", "2", "--loglevel", "info"]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    process.log = log_path  # type: ignore[attr-defined]
    return process


def _wait(condition, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text()[-6000:]}")


def _start_batch(client, clinic, paths: list[Path]) -> tuple[dict, list[dict]]:
    answer = client.post(reverse("orders:upload_start"), {"institution_id": str(clinic.uuid)})
    assert answer.status_code == 201, answer.content
    batch = answer.json()
    entries = [{"name": p.name, "size": p.stat().st_size, "last_modified": 1} for p in paths]
    answer = client.post(batch["files_url"], json.dumps({"files": entries}), content_type="application/json")
    assert answer.status_code == 200, answer.content
    return batch, answer.json()["files"]


def _put_parts(client, batch, files: list[dict], paths: list[Path]):
    header = ",".join(f"{f['id']}:0:{f['size']}" for f in files)
    body = b"".join(p.read_bytes() for p in paths)
    return client.generic(
        "PUT", batch["parts_url"], body, content_type="application/octet-stream", HTTP_X_UPLOAD_PARTS=header
    )


def _send_all(client, batch, files, paths, per_request: int = 10) -> list:
    answers = []
    for start in range(0, len(files), per_request):
        answers.append(
            _put_parts(client, batch, files[start : start + per_request], paths[start : start + per_request])
        )
    return answers


def _assert_retryable(answer) -> None:
    assert answer.status_code == 503, answer.content[:300]
    assert answer["Content-Type"] == "application/json"
    assert int(answer["Retry-After"]) > 0
    assert answer.json()["retry"] is True
    assert "try again" in answer.json()["error"]


def test_a_broker_restart_mid_batch_loses_nothing_and_needs_no_one(
    staff_user, staff_client, clinic, tmp_path, redis_server, worker
):
    first_paths = [make_image(tmp_path / "a" / f"{i:03d}.dcm", rows=64, columns=64) for i in range(400)]
    second_paths = [make_image(tmp_path / "b" / f"{i:03d}.dcm") for i in range(30)]
    first, first_files = _start_batch(staff_client, clinic, first_paths)
    second, second_files = _start_batch(staff_client, clinic, second_paths)

    # The first batch is sent whole, then a worker starts and gets busy with it.
    assert all(a.status_code == 200 for a in _send_all(staff_client, first, first_files, first_paths, 64))
    assert staff_client.post(first["finish_url"]).status_code == 200
    first_pk = UploadBatch.objects.get(uuid=first["id"]).pk
    worker = worker()

    def stored(batch_pk: int) -> int:
        return UploadItem.objects.filter(batch_id=batch_pk, state="stored").count()

    _wait(lambda: stored(first_pk) >= 5, 60, "the worker to start on the first batch", worker.log)
    redis_server.kill()
    assert stored(first_pk) < 400, "the batch finished before Redis went away: make it bigger"

    # During the outage: the second batch's files arrive, but their ingest cannot be queued.
    answers = _send_all(staff_client, second, second_files, second_paths)
    for answer in answers:
        _assert_retryable(answer)
    second_pk = UploadBatch.objects.get(uuid=second["id"]).pk
    assert UploadItem.objects.filter(batch_id=second_pk, state="received").count() == 30  # the bytes were kept
    # The browser sends again after Retry-After: the bytes are there, nothing to queue anew.
    again = _put_parts(staff_client, second, second_files[:10], second_paths[:10])
    assert again.status_code == 200
    assert all(f["received"] == f["size"] for f in again.json()["files"])
    _assert_retryable(staff_client.post(second["finish_url"]))
    assert UploadBatch.objects.get(pk=second_pk).state == BatchState.QUEUED  # kept too
    assert staff_client.post(second["finish_url"]).status_code == 200  # sending "finish" again

    time.sleep(5)  # the worker notices and keeps trying to reconnect
    redis_server.start()  # empty: every message queued before is gone
    back = time.monotonic()
    _wait(
        lambda: UploadBatch.objects.filter(pk__in=[first_pk, second_pk], state=BatchState.DONE).count() == 2,
        60,
        "both batches to finish within a minute of Redis's return",
        worker.log,
    )
    assert time.monotonic() - back < 60
    assert worker.poll() is None, "the worker died"
    assert stored(first_pk) == 400
    assert stored(second_pk) == 30
    assert InstanceRecord.objects.filter(stored=True).count() == 430
