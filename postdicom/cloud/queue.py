"""Handing a cloud upload to the Celery workers (by task name, as ``postdicom.local.uploads.queue``).

When the broker cannot take the message the batch is already on disk with its files, so
nothing is lost: the caller gets ``Unavailable`` and the workers' sweep
(``postdicom.cloud.tasks.resume_cloud_uploads``, on every connection to the broker and every
minute) sends the batch once the broker is back.
"""

from __future__ import annotations

import logging
from uuid import UUID

from celery import current_app
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from postdicom.errors import Unavailable

log = logging.getLogger(__name__)

SEND_BATCH = "postdicom.cloud.tasks.send_cloud_upload"


def _send(task: str, *args: object) -> None:
    try:
        current_app.signature(task, args=args).apply_async()
    except (OperationalError, OSError) as error:
        log.warning("The broker did not take %s%r (%s); the sweep will queue it again.", task, args, error)
        raise Unavailable(
            _("The server cannot hand work to its workers right now. What you sent is kept; try again in a moment.")
        ) from error


def send_batch(batch_id: UUID | str) -> None:
    _send(SEND_BATCH, str(batch_id))
