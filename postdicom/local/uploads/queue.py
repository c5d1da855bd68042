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
import logging
from collections.abc import Iterable
from uuid import UUID

from django.core.cache import cache
from django.db import transaction

from postdicom import handoff
from postdicom.errors import Unavailable

INGEST_ITEMS = "postdicom.local.tasks.ingest_upload_items"
FINISH_BATCH = "postdicom.local.tasks.finish_upload_batch"
DRAW_THUMBNAILS = "postdicom.local.tasks.draw_thumbnails"


log = logging.getLogger(__name__)

_send = handoff.send


def items_ingest(item_pks: list[int]) -> None:
    """Queue the ingest of received items once the current transaction commits."""
    pks = list(item_pks)
    transaction.on_commit(lambda: _send(INGEST_ITEMS, pks))


def batch_finish(batch_pk: int) -> None:
    """Queue the step that ingests what is left of a sent batch and closes it, once the
    current transaction commits."""
    transaction.on_commit(lambda: _send(FINISH_BATCH, batch_pk))


#: A thumbnail drawing starts this long after the request that queued it, so that a series
#: sent one instance a request (PostDICOM's client) is drawn and described once a burst, not
#: once per request: each drawing re-reads the study (measured: the worker's CPU for 500
#: one-instance STOWs, docs/decisions.md, "STOW-RS round 5").
DRAW_AFTER_SECONDS = 2.0
handoff.starts_after(DRAW_THUMBNAILS, DRAW_AFTER_SECONDS)

#: How long a study's "drawing queued" mark lasts at most (``thumbnails_draw``): the worker
#: clears it when it starts; this only bounds a mark whose message was lost.
THUMBNAILS_QUEUED_SECONDS = 30


def _queued_key(study_id: UUID) -> str:
    return f"rayport:thumbnails-queued:{study_id}"


def thumbnails_draw(batch_pk: int, study_ids: Iterable[UUID]) -> None:
    """Have a worker draw the thumbnails of the studies a batch stored in a request added
    images to, once the current transaction commits (drawing in the request would make the
    sender wait for pictures it never asked for). A broker that cannot take it costs nothing
    but the early drawing: the first request for a picture draws it (``thumbnails``), so
    this never fails the caller.

    Once per study while a drawing is waiting: a client sending a series one instance a
    request (PostDICOM's way) queued one task per instance, each re-reading the study. The
    first request marks its studies in the cache (``cache.add``: one of several concurrent
    requests wins) and queues; the others find the mark and queue nothing. The worker
    clears the marks when it starts (``thumbnails_started``), before it reads the study, so
    an image committed before a request found the mark is seen by that waiting task, and one
    committed after the task started queues a task of its own. A cache that cannot be
    reached queues the task, as before. The drawing waits ``DRAW_AFTER_SECONDS`` before it
    starts, so the requests of a burst find it waiting: without the wait a worker that keeps
    up starts each drawing at once, clears the mark, and the next request queues another."""
    studies = sorted(set(study_ids))

    def send() -> None:
        try:
            fresh = [s for s in studies if cache.add(_queued_key(s), batch_pk, THUMBNAILS_QUEUED_SECONDS)]
        except Exception:  # the cache is down: queue anyway (the worker's draw is idempotent)
            log.warning("thumbnails: the cache did not answer; queued without de-duplicating", exc_info=True)
            fresh = studies
        if not fresh:
            return
        with contextlib.suppress(Unavailable):  # logged by _send; drawn when first asked for
            _send(DRAW_THUMBNAILS, batch_pk)

    transaction.on_commit(send, robust=True)  # the images are stored: nothing here fails the call


def thumbnails_started(study_ids: Iterable[UUID]) -> None:
    """The worker starts drawing these studies: a request storing images from now on queues
    a drawing of its own (``thumbnails_draw``)."""
    with contextlib.suppress(Exception):  # an unreachable cache: its marks expire by themselves
        cache.delete_many([_queued_key(study) for study in study_ids])
