"""The visitor's side of an outside share: the link's first page, opening it with the
password (with a lock after wrong passwords), later requests, and what visitors did.

Every function reads the share afresh (nothing is remembered between requests), so a
revocation, a new expiry or a new password counts at the visitor's very next request. An
unknown link is refused exactly as a wrong password is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.context import calling_from, site_getter
from postdicom.errors import InvalidInput
from postdicom.local.audit import record
from postdicom.local.models import AccessKind, MailKind, OutsideShare, ShareAccess
from postdicom.local.orders.visibility import order_label
from postdicom.local.outside import mail, rows
from postdicom.local.outside.secrets import dummy_password_hash, password_matches
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: How the audit trail names the one who acts through a link (no account).
VISITOR = "visitor"

_AUDITED = {
    AccessKind.OPENED: AuditAction.SHARE_OPENED,
    AccessKind.FAILED_PASSWORD: AuditAction.SHARE_PASSWORD_FAILED,
    AccessKind.LOCKED: AuditAction.SHARE_LOCKED,
    AccessKind.VIEWED: AuditAction.SHARE_VIEWED,
    AccessKind.DOWNLOADED: AuditAction.SHARE_DOWNLOADED,
    AccessKind.UPLOADED: AuditAction.SHARE_UPLOADED,
    AccessKind.REFUSED: AuditAction.SHARE_REFUSED,
}

#: A refused visit is logged once per share, reason and address within this time: a page
#: left open on a share that has since expired keeps asking (every image is a request).
REFUSED_LOGGED_ONCE_WITHIN = dt.timedelta(minutes=10)


def _log(row: OutsideShare, kind: AccessKind, client_ip: str, *, audit: bool = True, **detail: Any) -> None:
    """One line of the share's access log and, with ``audit``, one audit event."""
    text = str(detail.get("order") or detail.get("files") or detail.get("reason") or "")
    ShareAccess.objects.create(share=row, kind=kind, ip=client_ip or None, detail=text[:250])
    if audit:
        with calling_from(client_ip or None, site=site_getter()):
            record(
                None,
                _AUDITED[kind],
                target_type="share",
                target_id=row.uuid,
                target_label=row.subject_label,
                actor_name=VISITOR,
                owner=row.created_by.get_username(),
                **detail,
            )


def _refused(row: OutsideShare, refusal: t.ShareRefusal, client_ip: str) -> None:
    """Log a visit the share refused because it no longer works (revoked, expired, used up):
    its access log (kind ``refused``, the reason as detail) and ``share.refused``. Wrong
    passwords and locks have kinds of their own (``_wrong_password``)."""
    earlier = ShareAccess.objects.filter(
        share=row,
        kind=AccessKind.REFUSED,
        detail=refusal.value,
        at__gte=timezone.now() - REFUSED_LOGGED_ONCE_WITHIN,
    )
    earlier = earlier.filter(ip=client_ip) if client_ip else earlier.filter(ip__isnull=True)
    if not earlier.exists():
        _log(row, AccessKind.REFUSED, client_ip, reason=refusal.value)


def _opened(row: OutsideShare) -> t.OpenedShare:
    owner: User = row.created_by
    return t.OpenedShare(
        share_id=row.uuid,
        actor=owner,
        kind=rows.kind_of(row),
        order_ids=rows.covered_order_ids(row),
        folder_id=row.folder.uuid if row.folder is not None else None,
        folder_name=row.folder.name if row.folder is not None else "",
        upload_only=row.audience in rows.UPLOAD_AUDIENCES,
        downloadable=row.downloadable,
        title=row.title,
        message=row.message,
        language=row.language,
        owner_name=owner.get_full_name() or owner.username,
        expires=row.expires,
        password_version=hashlib.sha256(f"share-password:{row.password_hash}".encode()).hexdigest()[:16],
    )


def _used_up(row: OutsideShare) -> bool:
    return row.open_limit is not None and row.opens >= row.open_limit


class VisitOutsideSharesMixin:
    def share_status(self, *, token: str, client_ip: str | None = None) -> t.ShareDoor:
        row = rows.by_token(token)
        if row is None:
            return t.ShareDoor(refusal=t.ShareRefusal.WRONG_PASSWORD)
        owner = row.created_by
        door = t.ShareDoor(
            needs_password=bool(row.password_hash),
            title=row.title,
            language=row.language,
            kind=rows.kind_of(row),
            owner_name=owner.get_full_name() or owner.username,
        )
        refused = rows.refusal(row) or (t.ShareRefusal.USED_UP if _used_up(row) else None)
        if refused is not None:
            if client_ip is not None:
                _refused(row, refused, client_ip)
            return replace(door, refusal=refused)
        wait = rows.locked_for(row)
        if wait:
            return replace(door, refusal=t.ShareRefusal.LOCKED, retry_after=wait)
        return door

    def open_share(self, *, token: str, password: str, client_ip: str) -> t.ShareOpening:
        with transaction.atomic():
            row = rows.by_token(token, for_update=True)
            if row is None:
                # As long as a wrong password takes: an unknown link is not told apart by time.
                password_matches(password, dummy_password_hash())
                return t.ShareOpening(refusal=t.ShareRefusal.WRONG_PASSWORD)
            refused = rows.refusal(row)
            if refused is not None:
                _refused(row, refused, client_ip)
                return t.ShareOpening(refusal=refused)
            wait = rows.locked_for(row)
            if wait:
                _log(row, AccessKind.LOCKED, client_ip, audit=False)
                return t.ShareOpening(refusal=t.ShareRefusal.LOCKED, retry_after=wait)
            now = timezone.now()
            if not password_matches(password, row.password_hash):
                return self._wrong_password(row, client_ip, now)
            if _used_up(row):
                _refused(row, t.ShareRefusal.USED_UP, client_ip)
                return t.ShareOpening(refusal=t.ShareRefusal.USED_UP)
            first = row.first_opened_at is None
            row.failed_attempts = 0
            row.locked_until = None
            row.opens += 1
            row.last_opened_at = now
            if first:
                row.first_opened_at = now
            row.save(update_fields=["failed_attempts", "locked_until", "opens", "last_opened_at", "first_opened_at"])
            _log(row, AccessKind.OPENED, client_ip, opens=row.opens)
            if first and row.notify_on_first_open and row.created_by.email:
                mail.queue(row, MailKind.OPENED, row.created_by.email, language=row.language, client_ip=client_ip)
            return t.ShareOpening(opened=_opened(row))

    def _wrong_password(self, row: OutsideShare, client_ip: str, now: dt.datetime) -> t.ShareOpening:
        row.failed_attempts += 1
        _log(row, AccessKind.FAILED_PASSWORD, client_ip, attempt=row.failed_attempts)
        if row.failed_attempts < t.SHARE_FAILURES_BEFORE_LOCK:
            row.save(update_fields=["failed_attempts"])
            return t.ShareOpening(refusal=t.ShareRefusal.WRONG_PASSWORD)
        row.failed_attempts = 0
        row.locked_until = now + dt.timedelta(seconds=t.SHARE_LOCK_SECONDS)
        row.save(update_fields=["failed_attempts", "locked_until"])
        _log(row, AccessKind.LOCKED, client_ip, seconds=t.SHARE_LOCK_SECONDS)
        return t.ShareOpening(refusal=t.ShareRefusal.LOCKED, retry_after=t.SHARE_LOCK_SECONDS)

    def reopen_share(self, *, token: str, client_ip: str) -> t.ShareOpening:
        row = rows.by_token(token)
        if row is None:
            return t.ShareOpening(refusal=t.ShareRefusal.WRONG_PASSWORD)
        refused = rows.refusal(row)
        if refused is not None:
            _refused(row, refused, client_ip)
            return t.ShareOpening(refusal=refused)
        return t.ShareOpening(opened=_opened(row))

    def log_share_access(
        self, *, token: str, client_ip: str, kind: t.ShareAccessKind, order_id: UUID | None = None, detail: str = ""
    ) -> None:
        if kind not in (t.ShareAccessKind.VIEWED, t.ShareAccessKind.DOWNLOADED):
            raise InvalidInput({"kind": _("Only views and downloads are logged this way.")})
        row = rows.by_token(token)
        if row is None:
            return
        named: dict[str, Any] = {}
        if order_id is not None:
            order = rows.covered_orders(row).filter(uuid=order_id).first()
            if order is not None:
                named["order"] = order_label(order)
        if detail:
            named["what"] = detail[:200]
        _log(row, AccessKind(kind.value), client_ip, **named)

    def record_share_upload(self, *, token: str, client_ip: str, file_count: int, batch_id: UUID | None = None) -> None:
        row = rows.by_token(token)
        if row is None:
            return
        if row.audience not in rows.UPLOAD_AUDIENCES:
            raise InvalidInput({"token": _("This share does not take uploads.")})
        with transaction.atomic():
            _log(row, AccessKind.UPLOADED, client_ip, files=file_count, batch=str(batch_id) if batch_id else "")
            if row.created_by.email:
                mail.queue(
                    row,
                    MailKind.UPLOADED,
                    row.created_by.email,
                    language=row.language,
                    file_count=file_count,
                    client_ip=client_ip,
                )
