"""View links (GetViewUrl and its variants): a short-lived link to the viewer that works
without signing in, only from the IP address it was made for.

Whoever opens a link acts as its maker, inside ``postdicom.context.only_orders`` of the
orders the link covers: an order's or a patient's orders, fixed when it was made (and still
visible to the maker); a folder's orders as the maker sees them when it is opened. The token
has 256 random bits and is kept only as its SHA-256 (looked up by a unique index, as API keys
are). Every request through a link resolves it again, so expiry and revocation count at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import InvalidInput, NotFound
from postdicom.local import convert
from postdicom.local.access import require_active
from postdicom.local.audit import SAME_READ_WITHIN, record
from postdicom.local.folders.access import ancestor_refs, label, owned_folders
from postdicom.local.folders.membership import in_folder
from postdicom.local.folders.reach import shared_row
from postdicom.local.models import AuditRecord, Folder, PatientOrder, ViewLinkRecord
from postdicom.local.orders.names import normalize_name
from postdicom.local.orders.search import with_summary_data
from postdicom.local.orders.visibility import order_label, order_row, visible_orders

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: At most this many orders are named in an audit event about a link (the count is always there).
NAMED_IN_AUDIT = 20
#: A patient link covers at most this many orders (a name shared by many patients is refused).
PATIENT_ORDERS_MAX = 500


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise InvalidInput({"client_ip": _("This is not an IP address.")}) from None


def _same_address(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return False


def _lifetime(value: dt.timedelta | None) -> dt.timedelta:
    if value is None:
        return t.VIEW_LINK_LIFETIME
    if not t.VIEW_LINK_LIFETIME_MIN <= value <= t.VIEW_LINK_LIFETIME_MAX:
        raise InvalidInput({"lifetime": _("A view link lasts from five minutes to seven days.")})
    return value


def _folder(actor: User, folder_id: UUID) -> Folder:
    """The actor's folder or one shared with them; ``NotFound`` otherwise."""
    row = owned_folders(actor).filter(uuid=folder_id).first()
    return row if row is not None else shared_row(actor, folder_id).row


def _patient_orders(actor: User, name: str, birth_date: dt.date | None) -> list[PatientOrder]:
    wanted = normalize_name(name.replace(",", " "))
    if not wanted:
        raise InvalidInput({"patient_name": _("Type the patient's name.")})
    rows = visible_orders(actor).filter(patient_name_search=wanted)
    if birth_date is not None:
        rows = rows.filter(birth_date=birth_date)
    found = list(rows.order_by("-order_date", "-id")[: PATIENT_ORDERS_MAX + 1])
    if not found:
        field = "birth_date" if birth_date is not None else "patient_name"
        raise InvalidInput({field: _("You see no order of a patient by this name and birth date.")})
    if len(found) > PATIENT_ORDERS_MAX:
        raise InvalidInput({"patient_name": _("Too many orders have this name; add the birth date.")})
    return found


def _target(actor: User, target: t.ViewTarget) -> tuple[t.ViewLinkKind, str, list[PatientOrder], Folder | None]:
    given = [target.order_id is not None, bool(target.patient_name.strip()), target.folder_id is not None]
    if sum(given) != 1:
        raise InvalidInput(_("Choose one order, one patient or one folder to link to."))
    if target.order_id is not None:
        order = order_row(actor, target.order_id)
        return t.ViewLinkKind.ORDER, order_label(order), [order], None
    if target.folder_id is not None:
        folder = _folder(actor, target.folder_id)
        return t.ViewLinkKind.FOLDER, label(folder, ancestor_refs(folder)), [], folder
    orders = _patient_orders(actor, target.patient_name, target.birth_date)
    name = t.display_patient_name(orders[0].patient_name)
    if target.birth_date is not None:
        name = f"{name} · {target.birth_date.isoformat()}"
    return t.ViewLinkKind.PATIENT, name, orders, None


def _audit(actor: User, action: t.AuditAction, row: ViewLinkRecord, **detail: Any) -> None:
    record(
        actor,
        action,
        target_type="view_link",
        target_id=row.uuid,
        target_label=row.label,
        link_to=row.kind,
        **detail,
    )


def _reached(row: ViewLinkRecord) -> tuple[UUID, ...] | None:
    """The public ids of the orders ``row`` reaches now, newest first; None when it reaches
    nothing any more (its folder is gone or no longer the maker's to see)."""
    maker = row.maker
    if row.kind == t.ViewLinkKind.FOLDER:
        if row.folder is None:
            return None
        try:
            rows = in_folder(visible_orders(maker), maker, row.folder.uuid)
        except InvalidInput:
            return None
    else:
        rows = visible_orders(maker).filter(uuid__in=row.order_ids)
    found = tuple(rows.order_by("-order_date", "-id").values_list("uuid", flat=True))
    if not found and row.kind != t.ViewLinkKind.FOLDER:
        return None  # its orders were deleted or are no longer the maker's to see
    return found


class ViewLinksMixin:
    def view_url(
        self, *, actor: User, target: t.ViewTarget, client_ip: str, lifetime: dt.timedelta | None = None
    ) -> t.ViewLink:
        require_active(actor)
        address = _address(client_ip)
        span = _lifetime(lifetime)
        kind, name, orders, folder = _target(actor, target)
        token = secrets.token_urlsafe(32)
        with transaction.atomic():
            row = ViewLinkRecord.objects.create(
                token_hash=_hash(token),
                maker=actor,
                kind=kind.value,
                label=name[:250],
                order_ids=[str(o.uuid) for o in orders],
                folder=folder,
                client_ip=address,
                expires_at=timezone.now() + span,
            )
            _audit(
                actor,
                t.AuditAction.VIEW_LINK_CREATED,
                row,
                for_address=address,
                expires=row.expires_at.isoformat(timespec="minutes"),
                orders=[order_label(o) for o in orders[:NAMED_IN_AUDIT]],
                order_count=len(orders),
            )
        return convert.view_link(row, url=reverse("viewlinks:page", kwargs={"token": token}))

    def view_links(self, *, actor: User) -> tuple[t.ViewLink, ...]:
        require_active(actor)
        rows = ViewLinkRecord.objects.filter(maker=actor, expires_at__gt=timezone.now()).select_related("folder")
        return tuple(convert.view_link(row) for row in rows)

    def revoke_view_link(self, *, actor: User, link_id: UUID) -> None:
        require_active(actor)
        row = ViewLinkRecord.objects.filter(maker=actor, uuid=link_id).first()
        if row is None:
            raise NotFound(_("No such view link."))
        if ViewLinkRecord.objects.filter(pk=row.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            _audit(actor, t.AuditAction.VIEW_LINK_REVOKED, row)

    def open_view_link(self, *, token: str, client_ip: str, use: t.ViewLinkUse) -> t.ViewLinkAccess:
        if not token or len(token) > 100:
            return t.ViewLinkAccess(t.ViewLinkRefusal.UNKNOWN)
        digest = _hash(token)
        row = ViewLinkRecord.objects.select_related("maker", "folder").filter(token_hash=digest).first()
        if row is None or not hmac.compare_digest(row.token_hash, digest):
            return t.ViewLinkAccess(t.ViewLinkRefusal.UNKNOWN)
        refusal = self._refusal(row, client_ip)
        reached = _reached(row) if refusal is None else None
        if refusal is None and reached is None:
            refusal = t.ViewLinkRefusal.WITHDRAWN
        link = convert.view_link(row)
        if refusal is not None:
            _refused(row, refusal, client_ip, use)
            return t.ViewLinkAccess(refusal, link)
        assert reached is not None
        if use is not t.ViewLinkUse.PAGE:
            return t.ViewLinkAccess(None, link, row.maker, reached)
        rows = list(with_summary_data(PatientOrder.objects.filter(uuid__in=reached)).order_by("-order_date", "-id"))
        summaries = tuple(convert.order_summary(o) for o in rows)
        _audit(
            row.maker,
            t.AuditAction.VIEW_LINK_USED,
            row,
            orders=[order_label(o) for o in rows[:NAMED_IN_AUDIT]],
            order_count=len(reached),
        )
        return t.ViewLinkAccess(None, link, row.maker, reached, summaries)

    @staticmethod
    def _refusal(row: ViewLinkRecord, client_ip: str) -> t.ViewLinkRefusal | None:
        if row.revoked_at is not None:
            return t.ViewLinkRefusal.REVOKED
        if timezone.now() >= row.expires_at:
            return t.ViewLinkRefusal.EXPIRED
        if not _same_address(row.client_ip, client_ip):
            return t.ViewLinkRefusal.OTHER_ADDRESS
        if not row.maker.is_active:
            return t.ViewLinkRefusal.WITHDRAWN
        return None


def _refused(row: ViewLinkRecord, refusal: t.ViewLinkRefusal, client_ip: str, use: t.ViewLinkUse) -> None:
    """One event per refused page; refused image requests (a viewer left open sends many) at
    most once per link, reason and address within ``SAME_READ_WITHIN``."""
    if use is t.ViewLinkUse.IMAGES:
        earlier = AuditRecord.objects.filter(
            target_type="view_link",
            target_id=str(row.uuid),
            action=t.AuditAction.VIEW_LINK_REFUSED,
            detail__reason=refusal.value,
            detail__from_address=client_ip,
            detail__use=use.value,
            at__gte=timezone.now() - SAME_READ_WITHIN,
        )
        if earlier.exists():
            return
    _audit(
        row.maker,
        t.AuditAction.VIEW_LINK_REFUSED,
        row,
        reason=refusal.value,
        from_address=client_ip,
        use=use.value,
    )
