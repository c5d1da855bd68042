"""Celery tasks of the embedded backend. Thin: find ids, call the service, log."""

from __future__ import annotations

import logging

from celery import shared_task

from postdicom import get_api
from postdicom.errors import InvalidInput, NotFound, Unavailable
from postdicom.local.images import headers, thumbnails
from postdicom.local.models import StudyRecord, UploadItem
from postdicom.local.orders.recycle import expired_order_ids
from postdicom.local.outside import mail as share_mail
from postdicom.local.uploads import digests, queue
from postdicom.local.uploads.ingest import (
    finish_batch_if_done,
    ingest_items,
    resume_unfinished,
    run_batch,
    studies_stored,
)

log = logging.getLogger(__name__)


@shared_task(
    name="postdicom.local.tasks.purge_expired_orders",
    autoretry_for=(Unavailable,),
    retry_backoff=True,
    max_retries=5,
)
def purge_expired_orders() -> int:
    """Purge every order deleted more than ``RAYPORT_RECYCLE_BIN_DAYS`` ago (run daily by
    Celery beat). Returns how many were purged; one failing order does not stop the rest."""
    api = get_api()
    purged = 0
    for order_id in expired_order_ids():
        try:
            api.purge_order(actor=None, order_id=order_id)
        except (NotFound, InvalidInput):
            # Purged or restored by someone else since we looked: nothing to do.
            log.info("Order %s left the recycle bin before the purge reached it.", order_id)
            continue
        purged += 1
    log.info("Purged %d expired order(s) from the recycle bin.", purged)
    return purged


# --- Uploads ---------------------------------------------------------------------------------------
#
# Every task below is idempotent and runs with acks_late and reject_on_worker_lost (settings):
# a worker killed half-way leaves the message to be delivered again, and each upload item is
# redone from its own state (see postdicom.local.uploads.ingest). They are queued by
# postdicom.local.uploads.queue, by name. ``resume_uploads`` runs whenever a worker connects to
# the broker (at start and after the broker came back, see portal.celery) and every minute
# (beat), so work cut short by a killed worker, or that could not be queued while the broker
# was away, does not wait for anyone.


@shared_task(name="postdicom.local.tasks.ingest_upload_items", autoretry_for=(Unavailable,), retry_backoff=True)
def ingest_upload_items(item_pks: list[int]) -> None:
    """Store and index received files (those that arrived in one request); finish their
    batch when they were the last ones."""
    ingest_items(list(item_pks))
    batch_pks = set(UploadItem.objects.filter(pk__in=item_pks).values_list("batch_id", flat=True))
    for batch_pk in batch_pks:
        finish_batch_if_done(batch_pk)


@shared_task(name="postdicom.local.tasks.finish_upload_batch", autoretry_for=(Unavailable,), retry_backoff=True)
def finish_upload_batch(batch_pk: int) -> None:
    """Ingest whatever of a sent batch is still waiting, then file and close the batch."""
    run_batch(batch_pk)


@shared_task(name="postdicom.local.tasks.draw_thumbnails")
def draw_thumbnails(batch_pk: int) -> None:
    """Draw the thumbnails of the studies a batch stored in a request added images to
    (``ingest.store_taken``), fill in the digests of the files it stored (``digests``) and
    keep their instances' headers; a failure is logged and the first request for the
    picture or the metadata makes it."""
    studies = studies_stored(batch_pk)
    # Cleared before the studies' images are read: a request finding the mark until now is
    # seen by this run (queue.thumbnails_draw).
    queue.thumbnails_started(StudyRecord.objects.filter(pk__in=studies).values_list("uuid", flat=True))
    digests.fill_for(studies)  # first: the headers are kept by the files' digests
    thumbnails.make_for(studies)
    headers.make_for(studies)


@shared_task(name="postdicom.local.tasks.fill_missing_digests")
def fill_missing_digests() -> int:
    """The digests of stored images whose batch's own step never ran (``digests.fill_left``)."""
    count = digests.fill_left()
    if count:
        log.info("Filled in the digests of %d stored image(s).", count)
    return count


@shared_task(name="postdicom.local.tasks.resume_uploads")
def resume_uploads() -> int:
    """Redo the upload work that a killed worker left unfinished (and nobody holds)."""
    count = resume_unfinished()
    if count:
        log.info("Looked again at %d unfinished upload(s).", count)
    return count


# --- Share e-mails -------------------------------------------------------------------------------
#
# A ``ShareMail`` row is made in the transaction that causes the mail and handed over once it
# commits (postdicom.local.outside.mail). Sending marks the row sent in the same transaction,
# so a retry or a message delivered twice sends nothing more.


@shared_task(
    name="postdicom.local.tasks.send_share_mail",
    autoretry_for=(OSError,),  # smtplib.SMTPException and a refused connection alike
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_share_mail(mail_pk: int) -> bool:
    """Send one share e-mail unless it was sent already; retried while the mail server is
    down. Returns whether this run sent it."""
    return share_mail.send(mail_pk)


@shared_task(name="postdicom.local.tasks.send_pending_share_mails")
def send_pending_share_mails() -> int:
    """Queue the share e-mails that should have gone by now (the broker was away when they
    were made, or their task gave up); run every minute by beat."""
    pending = share_mail.pending_mails()
    for pk in pending:
        share_mail.hand_to_worker(pk)
    return len(pending)
