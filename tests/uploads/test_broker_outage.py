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
import time
from pathlib import Path

import pytest
from django.urls import reverse

from postdicom.local.models import BatchState, InstanceRecord, UploadBatch, UploadItem
from tests.uploads.conftest import worker_storage
from tests.uploads.files import make_image
from tests.worker_harness import wait

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def upload_dirs(settings, tmp_path):
    """Overrides the package's fixture: here tasks really go to the broker."""
    return worker_storage(settings, tmp_path)


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
    staff_user, staff_client, clinic, tmp_path, broker, worker
):
    first_paths = [make_image(tmp_path / "a" / f"{i:03d}.dcm", rows=64, columns=64) for i in range(400)]
    second_paths = [make_image(tmp_path / "b" / f"{i:03d}.dcm") for i in range(30)]
    first, first_files = _start_batch(staff_client, clinic, first_paths)
    second, second_files = _start_batch(staff_client, clinic, second_paths)

    # The first batch is sent whole, then a worker starts and gets busy with it.
    assert all(a.status_code == 200 for a in _send_all(staff_client, first, first_files, first_paths, 64))
    assert staff_client.post(first["finish_url"]).status_code == 200
    first_pk = UploadBatch.objects.get(uuid=first["id"]).pk
    busy = worker()
    busy.start()

    def stored(batch_pk: int) -> int:
        return UploadItem.objects.filter(batch_id=batch_pk, state="stored").count()

    wait(lambda: stored(first_pk) >= 5, 60, "the worker to start on the first batch", busy.log)
    broker.kill()
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
    broker.start()  # empty: every message queued before is gone
    back = time.monotonic()
    wait(
        lambda: UploadBatch.objects.filter(pk__in=[first_pk, second_pk], state=BatchState.DONE).count() == 2,
        60,
        "both batches to finish within a minute of Redis's return",
        busy.log,
    )
    assert time.monotonic() - back < 60
    assert busy.running, "the worker died"
    assert stored(first_pk) == 400
    assert stored(second_pk) == 30
    assert InstanceRecord.objects.filter(stored=True).count() == 430
