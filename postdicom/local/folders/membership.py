"""Filing orders in folders (AddOrderToFolder, RemoveOrderFromFolder), the folders that hold
an order, and the folder filter of the order search (GetPatientOrderListInFolder).

An order is filed, shown and counted in a folder only while its owner may see it (the rule
of ``postdicom.local.orders.visibility``) and it is not in the recycle bin; the filing itself
stays, so the order comes back when it is restored or assigned again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.collation import sort_key
from postdicom.errors import InvalidInput, NotFound
from postdicom.local.folders.access import (
    ancestors_of,
    label,
    owned_folders,
    record_folder,
    writable_row,
    writable_rows,
)
from postdicom.local.folders.reach import shared_row
from postdicom.local.folders.tree import describe, subtree
from postdicom.local.models import Folder, FolderOrder, PatientOrder
from postdicom.local.orders.visibility import order_label, order_row, visible_orders
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def in_folder(
    rows: QuerySet[PatientOrder], actor: User, folder_id: UUID, *, below: bool = False
) -> QuerySet[PatientOrder]:
    """The orders of ``rows`` filed in the folder ``folder_id``, the actor's or one shared
    with them (``below``: or in any folder below it); ``InvalidInput`` (``folder_id``) when
    it is neither."""
    row = owned_folders(actor).filter(uuid=folder_id).first()
    if row is None:
        try:
            row = shared_row(actor, folder_id).row
        except NotFound:
            raise InvalidInput({"folder_id": _("No such folder.")}) from None
    folders = subtree(Folder.objects.filter(owner_id=row.owner_id), row) if below else Folder.objects.filter(pk=row.pk)
    return rows.filter(pk__in=FolderOrder.objects.filter(folder__in=folders).values("order_id"))


def holding(actor: User, order: PatientOrder) -> tuple[t.Folder, ...]:
    """The actor's folders that ``order`` is filed in, by path (without counts): two queries."""
    rows = list(owned_folders(actor).filter(memberships__order=order))
    ancestors = ancestors_of(rows)
    folders = [describe(row, ancestors[row.pk], rights=t.OWNER_RIGHTS) for row in rows]
    return tuple(sorted(folders, key=lambda f: [sort_key(n) for n in (*(a.name for a in f.ancestors), f.name)]))


class FolderMembershipMixin:
    def order_folders(self, *, actor: User, order_id: UUID) -> tuple[t.Folder, ...]:
        return holding(actor, order_row(actor, order_id))

    def add_order_to_folders(self, *, actor: User, order_id: UUID, folder_ids: Sequence[UUID]) -> int:
        wanted = list(dict.fromkeys(folder_ids))
        if not wanted:
            raise InvalidInput({"folder_ids": _("Choose at least one folder.")})
        with transaction.atomic():
            order = order_row(actor, order_id)
            # Locked (in primary key order, so concurrent filings never deadlock) so that a
            # folder deleted meanwhile is NotFound rather than a foreign key error. The
            # actor's folders, or folders shared with them with the right to edit.
            rows = {u: w.row for u, w in writable_rows(actor, wanted).items()}
            filed = set(
                FolderOrder.objects.filter(order=order, folder__in=rows.values()).values_list("folder_id", flat=True)
            )
            adding = [rows[u] for u in wanted if rows[u].pk not in filed]
            FolderOrder.objects.bulk_create(
                [FolderOrder(folder=row, order=order, owner_id=row.owner_id, added_by=actor) for row in adding],
                ignore_conflicts=True,
            )
            ancestors = ancestors_of(adding)
            for row in adding:
                record_folder(
                    actor,
                    AuditAction.FOLDER_ORDER_ADDED,
                    row,
                    label(row, ancestors[row.pk]),
                    order_id=str(order.uuid),
                    order=order_label(order),
                )
        return len(adding)

    def remove_orders_from_folder(self, *, actor: User, folder_id: UUID, order_ids: Sequence[UUID]) -> int:
        wanted = list(dict.fromkeys(order_ids))
        if not wanted:
            raise InvalidInput({"order_ids": _("Choose at least one order.")})
        with transaction.atomic():
            row = writable_row(actor, folder_id, for_update=True).row
            orders = {o.pk: o for o in visible_orders(actor).filter(uuid__in=wanted)}
            if len(orders) != len(wanted):
                raise NotFound(_("No such order."))
            filed = FolderOrder.objects.filter(folder=row, order_id__in=list(orders))
            leaving = sorted(filed.values_list("order_id", flat=True))
            filed.delete()
            folder_label = label(row, ancestors_of([row])[row.pk])
            for pk in leaving:
                order = orders[pk]
                record_folder(
                    actor,
                    AuditAction.FOLDER_ORDER_REMOVED,
                    row,
                    folder_label,
                    order_id=str(order.uuid),
                    order=order_label(order),
                )
        return len(leaving)
