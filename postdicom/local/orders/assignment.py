"""Assigning orders to users and user groups, and moving them to another institution
(AssignPatientOrderToUser/…ToUserGroup, Unassign…, AssignPatientOrderToLocation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from postdicom.errors import InvalidInput
from postdicom.local.access import institutions_of
from postdicom.local.audit import record
from postdicom.local.models import OrderGroupAssignment, OrderUserAssignment, PatientOrder, UserGroup
from postdicom.local.orders.create import accession_taken
from postdicom.local.orders.links import dissolve_lonely
from postdicom.local.orders.visibility import managed_order, order_label
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _one_target(user_id: UUID | None, group_id: UUID | None) -> None:
    if (user_id is None) == (group_id is None):
        message = _("Choose either a user or a user group.")
        raise InvalidInput({"user_id": message, "group_id": message})


def _assignable_user(order: PatientOrder, user_id: UUID) -> User:
    """An active user of the order's institution."""
    user = (
        get_user_model()
        .objects.filter(profile__uuid=user_id, is_active=True, profile__institutions=order.institution_id)
        .first()
    )
    if user is None:
        raise InvalidInput({"user_id": _("Choose an active user of the order's institution.")})
    return user


def _user_group(group_id: UUID) -> UserGroup:
    group = UserGroup.objects.filter(uuid=group_id).first()
    if group is None:
        raise InvalidInput({"group_id": _("No such user group.")})
    return group


def _record(actor: User, action: AuditAction, order: PatientOrder, **detail: Any) -> None:
    record(actor, action, target_type="order", target_id=order.uuid, target_label=order_label(order), **detail)


class AssignOrdersMixin:
    def assign_order(
        self, *, actor: User, order_id: UUID, user_id: UUID | None = None, group_id: UUID | None = None
    ) -> None:
        with transaction.atomic():
            order = managed_order(actor, order_id)
            _one_target(user_id, group_id)
            if user_id is not None:
                user = _assignable_user(order, user_id)
                _, created = OrderUserAssignment.objects.get_or_create(
                    order=order, user=user, defaults={"assigned_by": actor}
                )
                if created:
                    _record(
                        actor,
                        AuditAction.ORDER_ASSIGNED,
                        order,
                        user=user.get_username(),
                        user_name=user.get_full_name(),
                        user_id=str(user_id),
                    )
            else:
                assert group_id is not None
                group = _user_group(group_id)
                _, created = OrderGroupAssignment.objects.get_or_create(
                    order=order, user_group=group, defaults={"assigned_by": actor}
                )
                if created:
                    _record(actor, AuditAction.ORDER_ASSIGNED, order, group=group.name, group_id=str(group_id))

    def unassign_order(
        self, *, actor: User, order_id: UUID, user_id: UUID | None = None, group_id: UUID | None = None
    ) -> None:
        with transaction.atomic():
            order = managed_order(actor, order_id)
            _one_target(user_id, group_id)
            if user_id is not None:
                rows = OrderUserAssignment.objects.filter(order=order, user__profile__uuid=user_id)
                names = rows.values_list("user__username", "user__first_name", "user__last_name").first()
                if names is not None:
                    rows.delete()
                    username, first, last = names
                    _record(
                        actor,
                        AuditAction.ORDER_UNASSIGNED,
                        order,
                        user=username,
                        user_name=f"{first} {last}".strip(),
                        user_id=str(user_id),
                    )
            else:
                assert group_id is not None
                group_rows = OrderGroupAssignment.objects.filter(order=order, user_group__uuid=group_id)
                name = group_rows.values_list("user_group__name", flat=True).first()
                if name is not None:
                    group_rows.delete()
                    _record(actor, AuditAction.ORDER_UNASSIGNED, order, group=name, group_id=str(group_id))

    def move_order_to_institution(self, *, actor: User, order_id: UUID, institution_id: UUID) -> None:
        with transaction.atomic():
            order = managed_order(actor, order_id)
            target = institutions_of(actor).filter(uuid=institution_id).first()
            if target is None:
                raise InvalidInput({"institution_id": _("Choose one of your institutions.")})
            if target.pk == order.institution_id:
                return
            if not target.is_active:
                raise InvalidInput({"institution_id": _("This institution is inactive and takes no new orders.")})
            if accession_taken(target, order.accession_number, exclude_pk=order.pk):
                raise InvalidInput(
                    {"institution_id": _("An order of that institution already has this order's accession number.")}
                )
            source = order.institution
            node = order.scheduled_equipment
            group_id = order.group_id
            order.institution = target
            order.scheduled_equipment = None  # nodes belong to one institution
            order.group = None  # links stay within one institution
            order.save(update_fields=["institution", "scheduled_equipment", "group", "updated_at"])
            _record(
                actor,
                AuditAction.ORDER_MOVED,
                order,
                from_institution=source.name,
                to_institution=target.name,
                scheduled_equipment_cleared=node.name if node is not None else "",
                left_group=group_id is not None,
            )
            if group_id is not None:
                dissolve_lonely(actor, [group_id])
