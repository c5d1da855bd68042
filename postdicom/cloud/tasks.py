"""The cloud backend's Celery tasks: sending an upload to the image server, and the sweep.

``send_cloud_upload`` sends what a batch has not sent (``CloudUploadsMixin.send_batch``);
while the server cannot be reached it is retried with exponential backoff (at most a minute
apart, eight times), and every file stays on disk meanwhile. ``resume_cloud_uploads`` queues
every batch that still has work and no try for a while (``uploads.SWEEP_AFTER``): it runs
whenever a worker connects to the broker (``portal.celery``) and every minute (beat), beside
the local backend's ``resume_uploads``, so a batch whose retries ran out, or whose message a
restarted broker lost, is sent once the server and the broker are back.
``expire_cloud_uploads`` (daily, by beat) removes the batches done for longer than
``RAYPORT_CLOUD_UPLOAD_REPORT_DAYS``, with their reports.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from postdicom.errors import Unavailable

log = logging.getLogger(__name__)


def _backend():  # type: ignore[no-untyped-def]
    from postdicom import get_api
    from postdicom.cloud.backend import CloudBackend

    api = get_api()
    return api if isinstance(api, CloudBackend) else None


@shared_task(
    name="postdicom.cloud.tasks.send_cloud_upload",
    autoretry_for=(Unavailable,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=8,
)
def send_cloud_upload(batch_id: str) -> bool:
    """Send a cloud upload's files; False when another worker is sending it."""
    backend = _backend()
    if backend is None:
        log.warning("Cloud upload %s: this portal does not use the cloud backend; left alone.", batch_id)
        return False
    return bool(backend.send_batch(batch_id))


@shared_task(name="postdicom.cloud.tasks.resume_cloud_uploads")
def resume_cloud_uploads() -> int:
    """Queue the cloud uploads that still have work and that no worker tried lately."""
    from postdicom.cloud import manifest, queue
    from postdicom.cloud.uploads import sweep_due

    if _backend() is None:
        return 0
    now, count = timezone.now(), 0
    for batch_id in manifest.pending_batches():
        batch = manifest.read(batch_id)
        if batch is not None and sweep_due(batch, now):
            queue.send_batch(batch_id)
            count += 1
    if count:
        log.info("Queued %d unfinished cloud upload(s) again.", count)
    return count


@shared_task(name="postdicom.cloud.tasks.expire_cloud_uploads")
def expire_cloud_uploads() -> int:
    """Remove the cloud uploads with nothing left to do, unchanged for more than
    ``RAYPORT_CLOUD_UPLOAD_REPORT_DAYS``; whatever the backend now is (a portal switched away
    from the cloud keeps no manifests for ever)."""
    from django.conf import settings

    from postdicom.cloud import manifest

    before = timezone.now() - dt.timedelta(days=settings.RAYPORT_CLOUD_UPLOAD_REPORT_DAYS)
    count = manifest.remove_expired(before)
    if count:
        log.info("Removed %d cloud upload(s) done before %s.", count, before.date())
    return count
