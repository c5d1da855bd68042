"""Handing upload work to the Celery workers: the one module of the upload steps that queues.

``receive`` and ``archives`` call these after their transaction commits; the tasks
(``postdicom.local.tasks``) import ``ingest`` and the rest at the top. The tasks are named
here, not imported, so no upload module imports the tasks module and there is no circle.

When the broker cannot take the message (Redis is down or restarting), the work is already
committed (the bytes and the item's ``received`` state, or the batch's ``queued`` state), so
nothing is lost: the caller gets ``Unavailable`` (the browser waits and sends again) and the
workers' sweep (``resume_unfinished``, on every connection to the broker and every minute)
takes the work up once the broker is back.
"""

from __future__ import annotations

import contextlib

from django.db import transaction

from postdicom import handoff
from postdicom.errors import Unavailable

INGEST_ITEMS = "postdicom.local.tasks.ingest_upload_items"
FINISH_BATCH = "postdicom.local.tasks.finish_upload_batch"
DRAW_THUMBNAILS = "postdicom.local.tasks.draw_thumbnails"


_send = handoff.send


def items_ingest(item_pks: list[int]) -> None:
    """Queue the ingest of received items once the current transaction commits."""
    pks = list(item_pks)
    transaction.on_commit(lambda: _send(INGEST_ITEMS, pks))


def batch_finish(batch_pk: int) -> None:
    """Queue the step that ingests what is left of a sent batch and closes it, once the
    current transaction commits."""
    transaction.on_commit(lambda: _send(FINISH_BATCH, batch_pk))


def thumbnails_draw(batch_pk: int) -> None:
    """Have a worker draw the thumbnails of the studies a batch stored in a request added
    images to, once the current transaction commits (drawing in the request would make the
    sender wait for pictures it never asked for). A broker that cannot take it costs nothing
    but the early drawing: the first request for a picture draws it (``thumbnails``), so
    this never fails the caller."""

    def send() -> None:
        with contextlib.suppress(Unavailable):  # logged by _send; drawn when first asked for
            _send(DRAW_THUMBNAILS, batch_pk)

    transaction.on_commit(send, robust=True)  # the images are stored: nothing here fails the call
