"""The e-mails of outside shares: queued in the transaction that causes them, sent by the
worker (``postdicom.local.tasks.send_share_mail``) exactly once.

Each mail is a ``ShareMail`` row, unique per share, kind and number, made in the same
transaction as the share (or the change) it tells about, and handed to the worker once that
transaction commits. The worker locks the row, sends, and marks it sent in one transaction:
a retry or a message delivered twice finds it sent and does nothing. While the mail server is
down the task retries with backoff; a mail the broker never received is picked up by the
sweep (``pending_mails``, every minute). The link's token and a password are kept in the row
only until the mail is sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Max
from django.template import loader
from django.urls import reverse
from django.utils import timezone, translation
from kombu.exceptions import OperationalError

from postdicom.context import site_url
from postdicom.local.models import MailKind, OutsideShare, ShareMail

log = logging.getLogger(__name__)

SEND_MAIL = "postdicom.local.tasks.send_share_mail"
#: The sweep leaves a mail this long to its own task before queueing it again, and gives up
#: on mails older than ``SWEEP_GIVES_UP`` (their links have long been useless to wait for).
SWEEP_AFTER = dt.timedelta(minutes=2)
SWEEP_GIVES_UP = dt.timedelta(days=2)

#: subject / text / HTML templates of each kind (house style rule 5).
TEMPLATES = {
    MailKind.LINK: "emails/share_link",
    MailKind.PASSWORD: "emails/share_password",
    MailKind.OPENED: "emails/share_opened",
    MailKind.UPLOADED: "emails/share_uploaded",
}


def _site() -> str:
    return (settings.RAYPORT_SITE_URL or site_url() or "http://localhost:8000/").rstrip("/")


def queue(
    row: OutsideShare,
    kind: MailKind,
    to: str,
    *,
    secrets: dict[str, str] | None = None,
    language: str | None = None,
    **detail: Any,
) -> ShareMail:
    """Make the mail's row now and hand it to the worker once the transaction commits."""
    number = (ShareMail.objects.filter(share=row, kind=kind).aggregate(n=Max("number"))["n"] or 0) + 1
    mail = ShareMail.objects.create(
        share=row,
        kind=kind,
        number=number,
        to=to,
        secrets=secrets or {},
        detail={"site": _site(), "language": language or row.language, **detail},
    )
    pk = mail.pk
    transaction.on_commit(lambda: hand_to_worker(pk))
    return mail


def hand_to_worker(mail_pk: int) -> None:
    """Queue the sending task; when the broker is away the sweep sends it later (the share
    itself is made: the visitor's answer must not fail for a mail)."""
    try:
        current_app.signature(SEND_MAIL, args=(mail_pk,)).apply_async()
    except (OperationalError, OSError) as error:
        log.warning("The broker did not take share mail %s (%s); the sweep will send it.", mail_pk, error)


def pending_mails() -> list[int]:
    """Mails that should have been sent by now and were not (for the sweep)."""
    now = timezone.now()
    return list(
        ShareMail.objects.filter(
            sent_at__isnull=True, created_at__lt=now - SWEEP_AFTER, created_at__gte=now - SWEEP_GIVES_UP
        ).values_list("pk", flat=True)
    )


def send(mail_pk: int) -> bool:
    """Send the mail unless it was sent; True when this call sent it. A failure to reach the
    mail server raises (``OSError``: ``smtplib.SMTPException`` or a refused connection) and
    leaves the mail unsent, for the task to retry."""
    with transaction.atomic():
        mail = (
            ShareMail.objects.select_for_update(of=("self",))
            .select_related("share__created_by", "share__folder")
            .filter(pk=mail_pk)
            .first()
        )
        if mail is None or mail.sent_at is not None:
            return False
        message = build(mail)
        message.send()
        mail.sent_at = timezone.now()
        mail.secrets = {}
        mail.attempts += 1
        mail.save(update_fields=["sent_at", "secrets", "attempts"])
    return True


def build(mail: ShareMail) -> EmailMultiAlternatives:
    """The message of ``mail``, in its language: subject, text and HTML from the kind's templates."""
    row = mail.share
    detail = mail.detail
    site = detail.get("site", "")
    owner = row.created_by
    context: dict[str, Any] = {
        "owner_name": owner.get_full_name() or owner.username,
        "owner_email": owner.email,
        "title": row.title,
        "message": row.message,
        "expires": row.expires,
        "downloadable": row.downloadable,
        "upload_only": row.audience in ("upload_email", "upload_link"),
        "covers_folder": row.covers_folder,
        "folder_name": row.folder.name if row.folder is not None else "",
        "order_count": row.share_orders.count(),
        "has_password": bool(row.password_hash),
        "password_elsewhere": bool(row.password_email),
        "site": site,
        "my_shares_url": site + reverse("sharing:mine"),
        **detail,
    }
    token = mail.secrets.get("token", "")
    if token:
        context["url"] = site + reverse("share:open", kwargs={"token": token})
    context["password"] = mail.secrets.get("password", "")
    if row.folder is not None:
        context["folder_url"] = site + reverse("folders:detail", kwargs={"folder_id": row.folder.uuid})
    prefix = TEMPLATES[MailKind(mail.kind)]
    with translation.override(detail.get("language") or row.language):
        subject = "".join(loader.render_to_string(f"{prefix}_subject.txt", context).splitlines())
        text = loader.render_to_string(f"{prefix}.txt", context)
        html = loader.render_to_string(f"{prefix}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [mail.to])
    message.attach_alternative(html, "text/html")
    return message
