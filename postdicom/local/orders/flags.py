"""Flags on orders (SetFlagToPatientOrder): at most one flag of each flag group."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext as _

from postdicom.errors import InvalidInput
from postdicom.local.audit import record
from postdicom.local.models import FlagGroupRecord, FlagRecord, OrderFlag
from postdicom.local.orders.visibility import managed_order, order_label
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class OrderFlagsMixin:
    def set_order_flag(self, *, actor: User, order_id: UUID, group_id: UUID, flag_id: UUID | None) -> None:
        with transaction.atomic():
            order = managed_order(actor, order_id)
            group = FlagGroupRecord.objects.filter(uuid=group_id).first()
            if group is None:
                raise InvalidInput({"group_id": _("No such flag group.")})
            flag = None
            if flag_id is not None:
                flag = FlagRecord.objects.filter(uuid=flag_id, group=group).first()
                if flag is None:
                    raise InvalidInput(
                        {"flag_id": _("Choose a flag of the group “%(group)s”.") % {"group": group.name}}
                    )
            current = OrderFlag.objects.select_related("flag").filter(order=order, group=group).first()
            previous = current.flag.name if current is not None else ""
            if flag is None:
                if current is None:
                    return
                current.delete()
                action, detail = AuditAction.ORDER_FLAG_CLEARED, {"group": group.name, "flag": previous}
            else:
                if current is not None and current.flag_id == flag.pk:
                    return
                OrderFlag.objects.update_or_create(order=order, group=group, defaults={"flag": flag})
                action, detail = (
                    AuditAction.ORDER_FLAG_SET,
                    {"group": group.name, "flag": flag.name, "replaced": previous},
                )
            has_flags = OrderFlag.objects.filter(order=order).exists()
            if order.has_flags != has_flags:
                order.has_flags = has_flags
                order.save(update_fields=["has_flags", "updated_at"])
            record(actor, action, target_type="order", target_id=order.uuid, target_label=order_label(order), **detail)
