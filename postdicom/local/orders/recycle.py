"""The recycle bin: delete (DeleteOrder), restore, list, and purge for good.

Deleting only sets ``deleted_at``: flags, assignments, links (and later folders and shares)
stay, so restoring brings the order back whole. ``settings.RAYPORT_RECYCLE_BIN_DAYS`` after
deletion the Celery beat task ``postdicom.local.tasks.purge_expired_orders`` purges it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local import convert
from postdicom.local.audit import record
from postdicom.local.models import PatientOrder
from postdicom.local.orders.links import dissolve_lonely
from postdicom.local.orders.search import attach_file_counts, with_summary_data
from postdicom.local.orders.visibility import (
    can_purge,
    managed_order,
    order_label,
    order_row,
    require_manager,
    visible_orders,
)
from postdicom.local.paging import paginate
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def keep_days() -> int:
    """Days an order stays in the recycle bin before it is purged."""
    return int(settings.RAYPORT_RECYCLE_BIN_DAYS)


def expired_order_ids(now: dt.datetime | None = None) -> list[UUID]:
    """Orders deleted more than ``keep_days()`` ago, oldest first (for the purge task)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=keep_days())
    rows = PatientOrder.objects.filter(deleted_at__isnull=False, deleted_at__lte=cutoff).order_by("deleted_at")
    return list(rows.values_list("uuid", flat=True))


def _delete_files(order: PatientOrder) -> int:
    """Remove the order's stored DICOM files and documents once the purge commits (the rows
    go with the order); returns how many files go."""
    from postdicom.local.models import DocumentRecord, InstanceRecord, StudyRecord
    from postdicom.local.uploads.indexing import forget_cached_series
    from postdicom.local.uploads.storage import delete_files

    forget_cached_series()  # this process's; other workers notice the missing rows themselves
    names = list(InstanceRecord.objects.filter(series__study__order=order).values_list("file_name", flat=True))
    names += list(DocumentRecord.objects.filter(order=order).values_list("file_name", flat=True))
    names += [n for n in StudyRecord.objects.filter(order=order).values_list("thumbnail_name", flat=True) if "/" in n]
    if names:
        transaction.on_commit(lambda: delete_files(names))
    return len(names)


def _purgeable(actor: User | None, order_id: UUID) -> PatientOrder:
    """The order to purge, locked; ``actor`` None (the purge task) sees every order."""
    if actor is None:
        order = PatientOrder.objects.select_for_update().filter(uuid=order_id).first()
        if order is None:
            raise NotFound(_("No such order."))
        return order
    try:
        order = order_row(actor, order_id, deleted=True, for_update=True)
    except NotFound:
        order = order_row(actor, order_id, for_update=True)  # live: the caller refuses it
    require_manager(actor, order)
    if not can_purge(actor):
        raise Forbidden(_("Only administrators can delete an order for good before its time."))
    return order


class RecycleBinMixin:
    def delete_order(self, *, actor: User, order_id: UUID) -> None:
        with transaction.atomic():
            order = managed_order(actor, order_id)
            order.deleted_at = timezone.now()
            order.deleted_by = actor
            order.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
            record(
                actor,
                AuditAction.ORDER_DELETED,
                target_type="order",
                target_id=order.uuid,
                target_label=order_label(order),
                purge_after_days=keep_days(),
            )

    def restore_order(self, *, actor: User, order_id: UUID) -> None:
        with transaction.atomic():
            try:
                order = managed_order(actor, order_id, deleted=True)
            except NotFound:
                managed_order(actor, order_id)  # live and manageable: nothing to do
                return
            deleted_at = order.deleted_at
            order.deleted_at = None
            order.deleted_by = None
            order.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
            record(
                actor,
                AuditAction.ORDER_RESTORED,
                target_type="order",
                target_id=order.uuid,
                target_label=order_label(order),
                deleted_at=deleted_at.isoformat() if deleted_at else "",
            )

    def purge_order(self, *, actor: User | None, order_id: UUID) -> None:
        with transaction.atomic():
            order = _purgeable(actor, order_id)
            if order.deleted_at is None:
                raise InvalidInput(_("Move the order to the recycle bin before purging it."))
            files = _delete_files(order)
            record(
                actor,
                AuditAction.ORDER_PURGED,
                target_type="order",
                target_id=order.uuid,
                target_label=order_label(order),
                deleted_at=order.deleted_at.isoformat(),
                by_task=actor is None,
                files_removed=files,
            )
            group_id = order.group_id
            order.delete()
            if group_id is not None:
                dissolve_lonely(actor, [group_id])

    def recycle_bin(self, *, actor: User, page: int = 1, page_size: int = 50) -> t.Page[t.RecycledOrder]:
        require_manager(actor)
        rows = with_summary_data(visible_orders(actor, deleted=True)).select_related("deleted_by")
        days, purge = keep_days(), can_purge(actor)
        return paginate(
            rows.order_by("-deleted_at", "-id"),
            page,
            page_size,
            lambda r: convert.recycled_order(r, keep_days=days, can_purge=purge),
        )

    def recycled_order(self, *, actor: User, order_id: UUID) -> t.RecycledOrder:
        rows = with_summary_data(visible_orders(actor, deleted=True)).select_related("deleted_by")
        found = rows.filter(uuid=order_id).first()
        if found is None:
            raise NotFound(_("This order is not in the recycle bin."))
        require_manager(actor, found)
        attach_file_counts([found])
        return convert.recycled_order(found, keep_days=keep_days(), can_purge=can_purge(actor))
