"""Handing a cloud upload to the Celery workers (by task name, as ``postdicom.local.uploads.queue``).

When the broker cannot take the message the batch is already on disk with its files, so
nothing is lost: the caller gets ``Unavailable`` and the workers' sweep
(``postdicom.cloud.tasks.resume_cloud_uploads``, on every connection to the broker and every
minute) sends the batch once the broker is back.
"""

from __future__ import annotations

from uuid import UUID

from postdicom import handoff

SEND_BATCH = "postdicom.cloud.tasks.send_cloud_upload"


_send = handoff.send


def send_batch(batch_id: UUID | str) -> None:
    _send(SEND_BATCH, str(batch_id))
