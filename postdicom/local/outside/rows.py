"""Outside shares as rows: finding them, what they cover now, whether they work, and how
they read (``t.Share``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from postdicom import types as t
from postdicom.context import site_url
from postdicom.local import convert
from postdicom.local.folders.reach import today
from postdicom.local.models import Audience, FolderOrder, OutsideShare, PatientOrder
from postdicom.local.orders.visibility import order_label, visible_orders
from postdicom.local.outside.secrets import looks_like_token, token_hash

if TYPE_CHECKING:
    from django.contrib.auth.models import User

UPLOAD_AUDIENCES = (Audience.UPLOAD_EMAIL, Audience.UPLOAD_LINK)
RELATED = ("created_by__profile", "folder")


def by_token(token: str, *, for_update: bool = False) -> OutsideShare | None:
    """The share whose link has ``token``, or None."""
    if not looks_like_token(token):
        return None
    rows = OutsideShare.objects.select_related(*RELATED)
    if for_update:
        rows = rows.select_for_update(of=("self",))
    return rows.filter(token_hash=token_hash(token)).first()


def public_url(token: str) -> str:
    """The link's full address: the configured site, else the one the sharer's browser used,
    else the path alone."""
    base = settings.RAYPORT_SITE_URL or site_url()
    path = reverse("share:open", kwargs={"token": token})
    return base.rstrip("/") + path if base else path


def covered_orders(row: OutsideShare) -> QuerySet[PatientOrder]:
    """The live orders the share shows now, as far as its owner sees them now: an order
    share's own orders; a folder share's orders filed in the folder and below it. None for an
    upload-only share, a deleted folder or an inactive owner."""
    owner = row.created_by
    if not owner.is_active or row.audience in UPLOAD_AUDIENCES:
        return PatientOrder.objects.none()
    seen = visible_orders(owner)
    if row.covers_folder:
        folder = row.folder
        if folder is None:
            return seen.none()
        filed = FolderOrder.objects.filter(
            Q(folder_id=folder.pk) | Q(folder__path__startswith=folder.subtree_prefix)
        ).values("order_id")
        return seen.filter(pk__in=filed)
    return seen.filter(pk__in=row.share_orders.values("order_id"))


def covered_order_ids(row: OutsideShare) -> tuple[UUID, ...]:
    return tuple(covered_orders(row).order_by("-created_at", "-pk").values_list("uuid", flat=True))


def refusal(row: OutsideShare, *, day: dt.date | None = None) -> t.ShareRefusal | None:
    """Why the share does not work now (revoked, expired), or None. Used up and locked are
    the opener's concern (``visitor``): a visitor already in keeps a used-up share."""
    if row.revoked_at is not None or not row.created_by.is_active:
        return t.ShareRefusal.REVOKED
    if row.covers_folder and row.folder_id is None:  # the folder was deleted
        return t.ShareRefusal.REVOKED
    if row.expires is not None and row.expires < (day or today()):
        return t.ShareRefusal.EXPIRED
    return None


def locked_for(row: OutsideShare) -> int:
    """Seconds left of the share's lock (0: not locked)."""
    if row.locked_until is None:
        return 0
    left = (row.locked_until - timezone.now()).total_seconds()
    return max(0, int(left + 0.999))


def kind_of(row: OutsideShare) -> t.ShareKind:
    return t.ShareKind(row.audience)


def share(
    row: OutsideShare, *, actor: User | None = None, url: str = "", new_password: str = "", day: dt.date | None = None
) -> t.Share:
    """``row`` as the contract's ``Share`` (its orders read with it)."""
    day = day or today()
    orders = tuple(
        t.SharedOrderRef(id=o.uuid, label=order_label(o))
        for o in row.orders.all().order_by("-created_at", "-pk")  # what was shared, as named now
    )
    return t.Share(
        id=row.uuid,
        kind=kind_of(row),
        url=url,
        expires=row.expires,
        expired=row.expires is not None and row.expires < day,
        downloadable=row.downloadable,
        revoked=row.revoked_at is not None,
        revoked_at=row.revoked_at,
        folder=convert.folder_ref(row.folder) if row.folder is not None else None,
        orders=orders,
        subject_label=row.subject_label,
        shared_by=convert.person(row.created_by),
        created_at=row.created_at,
        email=row.email,
        password_email=row.password_email,
        title=row.title,
        message=row.message,
        language=row.language,
        has_password=bool(row.password_hash),
        open_limit=row.open_limit,
        opens=row.opens,
        notify_on_first_open=row.notify_on_first_open,
        last_opened_at=row.last_opened_at,
        new_password=new_password,
        can_manage=actor is not None and row.revoked_at is None,
    )


def shares(rows: Iterable[OutsideShare], *, actor: User) -> list[t.Share]:
    day = today()
    return [share(row, actor=actor, day=day) for row in rows]
