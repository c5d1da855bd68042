"""A cloud upload survives the image server going away: a real Celery worker (on the cloud
backend) sends the batch while the live Rayport is stopped, retries with backoff, and stores
every file once the server is back; nothing is lost on the way."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from postdicom import get_api
from postdicom.cloud import CloudBackend, manifest
from postdicom.local.models import Institution
from postdicom.types import OrderQuery, UploadOutcome, UploadState
from tests.contract.server import RayportServer
from tests.contract.test_uploads import handed
from tests.postdicom.local.orders_setup import uid
from tests.uploads.conftest import local_storage
from tests.uploads.files import make_image
from tests.worker_harness import RedisServer, Worker, celery_broker

STUDY = "1.2.826.0.1.3680043.8.498.9090"


@pytest.fixture
def server(tmp_path: Path, settings: Any) -> Iterator[RayportServer]:
    data = tmp_path / "server"
    data.mkdir()
    made = RayportServer(data)
    made.start()
    yield made
    made.stop()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    try:
        with celery_broker(redis_server.url):
            yield redis_server
    finally:
        redis_server.kill()


def test_a_batch_sent_while_the_server_is_down_is_stored_when_it_is_back(
    server: RayportServer,
    broker: RedisServer,
    staff_user: User,
    admin_user: User,
    clinic: Institution,
    tmp_path: Path,
    settings: Any,
) -> None:
    portal = tmp_path / "portal"  # this portal's data folder, shared with its worker
    local_storage(settings, server.data)
    settings.RAYPORT_UPLOAD_DIR = portal / "uploads"
    _key, secret = get_api().create_api_key(actor=admin_user, name="cloud worker", user_id=uid(admin_user))
    base = f"{server.url}/dicomweb/"
    api = CloudBackend(base_url=base, api_key=secret, retries=0)
    env = {"RAYPORT_BACKEND": "postdicom.cloud.CloudBackend", "RAYPORT_CLOUD_URL": base}
    worker = Worker(portal, broker.url, concurrency=1, env={**env, "RAYPORT_CLOUD_API_KEY": secret})
    portal.mkdir()
    worker.start()
    try:
        images = [make_image(tmp_path / "src" / f"im{n}.dcm", patient_id="OUTAGE-1", study_uid=STUDY) for n in range(3)]
        batch = api.start_upload(actor=staff_user, institution_id=clinic.uuid)
        server.stop()
        api.add_upload_files(actor=staff_user, batch_id=batch.id, files=handed(tmp_path / "a", *images[:2]))
        api.add_upload_files(actor=staff_user, batch_id=batch.id, files=handed(tmp_path / "b", images[2]))
        api.finish_upload(actor=staff_user, batch_id=batch.id)
        _wait(lambda: (manifest.read(batch.id) or _never()).attempt_at, 60, "the worker's first try", worker)
        time.sleep(3)  # the worker tries, fails to connect, and waits to try again
        waiting = api.upload_progress(actor=staff_user, batch_id=batch.id)
        assert waiting.state is UploadState.QUEUED
        assert waiting.counts == {UploadOutcome.RECEIVED.value: 3}
        assert len(list((manifest.folder(batch.id) / "files").iterdir())) == 3  # kept on disk
        server.start()
        _wait(
            lambda: api.upload_progress(actor=staff_user, batch_id=batch.id).state is UploadState.DONE,
            120,
            "the batch to be stored after the server came back",
            worker,
        )
        done = api.upload_report(actor=staff_user, batch_id=batch.id)
        assert [f.outcome for f in done.files.items] == [UploadOutcome.STORED] * 3
        (order,) = api.search_orders(actor=staff_user, query=OrderQuery(patient_id="OUTAGE-1")).items
        assert order.image_count == 3
        assert [o.id for o in done.orders] == [order.id]
        assert not (manifest.folder(batch.id) / "files").exists()
    finally:
        worker.stop()


def _never() -> Any:
    raise AssertionError("the batch disappeared")


def _wait(condition: Any, timeout: float, what: str, worker: Worker) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{worker.log.read_text()[-6000:]}")
