"""Linking orders to open together (CreateOrderGroup, AddOrdersToOrderGroup,
RemoveOrdersFromGroup). A link group holds orders of one institution; a group left with a
single order dissolves, because a link needs two ends."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext as _

from postdicom.errors import InvalidInput, NotFound
from postdicom.local.audit import record
from postdicom.local.models import OrderGroup, PatientOrder
from postdicom.local.orders.visibility import managed_orders, order_label, require_manager, visible_orders
from postdicom.types import DIFFERENT_PATIENTS, AuditAction, display_patient_name

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def dissolve_lonely(actor: User | None, group_ids: Iterable[int]) -> None:
    """Delete the given link groups that hold fewer than two orders (recycle bin included),
    releasing (and recording) the order left behind."""
    for group in OrderGroup.objects.filter(pk__in=set(group_ids)):
        members = list(PatientOrder.objects.filter(group=group))
        if len(members) >= 2:
            continue
        for order in members:
            order.group = None
            order.save(update_fields=["group", "updated_at"])
            record(
                actor,
                AuditAction.ORDER_UNLINKED,
                target_type="order",
                target_id=order.uuid,
                target_label=order_label(order),
                group=str(group.uuid),
                dissolved=True,
            )
        group.delete()


def _one_institution(orders: Sequence[PatientOrder], institution_id: int | None = None) -> None:
    institutions = {o.institution_id for o in orders} | ({institution_id} if institution_id is not None else set())
    if len(institutions) > 1:
        raise InvalidInput({"order_ids": _("Only orders of the same institution can be linked.")})


def _patient_key(order: PatientOrder) -> str:
    """Orders of one institution are of one patient when their patient IDs are the same,
    ignoring case and spacing (as ``OrderQuery.exact_patient_id`` finds them)."""
    return " ".join(order.patient_id.split()).upper()


def _same_patient(orders: Sequence[PatientOrder], confirmed: bool) -> None:
    """Refuse to link orders of different patients unless the actor confirmed it: the error
    (field ``DIFFERENT_PATIENTS``) names each patient, for a page to ask."""
    patients: dict[str, PatientOrder] = {}
    for order in orders:
        patients.setdefault(_patient_key(order), order)
    if len(patients) < 2 or confirmed:
        return
    names = "; ".join(f"{display_patient_name(o.patient_name)} ({o.patient_id})" for o in patients.values())
    raise InvalidInput(
        {
            DIFFERENT_PATIENTS: _(
                "These orders are of different patients: %(patients)s. Link them only if they belong together."
            )
            % {"patients": names}
        }
    )


def _join(actor: User, group: OrderGroup, orders: Sequence[PatientOrder]) -> None:
    """Move ``orders`` into ``group`` and record it; their old groups may dissolve."""
    left = [o.group_id for o in orders if o.group_id is not None and o.group_id != group.pk]
    joining = [o for o in orders if o.group_id != group.pk]
    for order in joining:
        order.group = group
        order.save(update_fields=["group", "updated_at"])
    dissolve_lonely(actor, left)
    peers = list(PatientOrder.objects.filter(group=group).values_list("uuid", flat=True))
    for order in joining:
        record(
            actor,
            AuditAction.ORDER_LINKED,
            target_type="order",
            target_id=order.uuid,
            target_label=order_label(order),
            group=str(group.uuid),
            linked_with=[str(u) for u in peers if u != order.uuid],
        )


class LinkOrdersMixin:
    def link_orders(self, *, actor: User, order_ids: Sequence[UUID], confirm_different_patients: bool = False) -> UUID:
        with transaction.atomic():
            orders = managed_orders(actor, order_ids)
            if len(orders) < 2:
                raise InvalidInput({"order_ids": _("Choose at least two orders to link.")})
            _one_institution(orders)
            _same_patient(orders, confirm_different_patients)
            group = OrderGroup.objects.create(institution_id=orders[0].institution_id)
            _join(actor, group, orders)
        return group.uuid

    def add_to_order_group(
        self, *, actor: User, group_id: UUID, order_ids: Sequence[UUID], confirm_different_patients: bool = False
    ) -> None:
        with transaction.atomic():
            group = OrderGroup.objects.select_for_update().filter(uuid=group_id).first()
            # A group exists for the actor when they can see one of its orders.
            members = list(visible_orders(actor).filter(group=group)) if group is not None else []
            if group is None or not members:
                raise NotFound(_("No such group of linked orders."))
            require_manager(actor, members[0])
            orders = managed_orders(actor, order_ids)
            if not orders:
                raise InvalidInput({"order_ids": _("Choose the orders to link.")})
            _one_institution(orders, group.institution_id)
            _same_patient([*members, *orders], confirm_different_patients)
            _join(actor, group, orders)

    def unlink_orders(self, *, actor: User, order_ids: Sequence[UUID]) -> None:
        with transaction.atomic():
            orders = [o for o in managed_orders(actor, order_ids) if o.group_id is not None]
            groups = dict(OrderGroup.objects.filter(pk__in={o.group_id for o in orders}).values_list("pk", "uuid"))
            for order in orders:
                group_uuid = groups.get(order.group_id or 0)
                order.group = None
                order.save(update_fields=["group", "updated_at"])
                record(
                    actor,
                    AuditAction.ORDER_UNLINKED,
                    target_type="order",
                    target_id=order.uuid,
                    target_label=order_label(order),
                    group=str(group_uuid),
                )
            dissolve_lonely(actor, groups)
