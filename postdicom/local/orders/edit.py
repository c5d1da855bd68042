"""Changing an order's patient and order details after it was created (a typo in a name or
an ID). Only the portal's record changes: stored DICOM files keep the values they were sent
with (see docs/decisions.md, "Editing an order")."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import InvalidInput
from postdicom.local import convert
from postdicom.local.audit import record
from postdicom.local.models import DicomNodeRecord, PatientOrder
from postdicom.local.orders.create import check_values
from postdicom.local.orders.search import with_summary_data
from postdicom.local.orders.visibility import managed_order, order_label
from postdicom.types import AuditAction, display_patient_name

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _audit_value(field: str, value: Any) -> Any:
    """A field value as the audit trail keeps it (JSON): dates in ISO form, times as HH:MM,
    a node by name, the patient's name as people read it."""
    if isinstance(value, DicomNodeRecord):
        return f"{value.name} ({value.ae_title})"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if field == "patient_name":
        return display_patient_name(value)
    return value


def _changes(order: PatientOrder, values: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every value that differs from the stored one."""
    changes: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(order, field)
        if old != new:
            changes[field] = [_audit_value(field, old), _audit_value(field, new)]
    return changes


class EditOrdersMixin:
    def update_order(self, *, actor: User, order_id: UUID, draft: t.OrderDraft) -> t.OrderSummary:
        with transaction.atomic():
            order = managed_order(actor, order_id)
            values = check_values(draft, order.institution, exclude_pk=order.pk)
            changes = _changes(order, values)
            if changes:
                label = order_label(order)
                for field, value in values.items():
                    setattr(order, field, value)
                try:
                    with transaction.atomic():
                        order.save(update_fields=[*values, "updated_at"])
                except IntegrityError:
                    # Someone else saved the same accession number at the same moment.
                    raise InvalidInput(
                        {"accession_number": _("Another order of this institution already has this accession number.")}
                    ) from None
                record(
                    actor,
                    AuditAction.ORDER_UPDATED,
                    target_type="order",
                    target_id=order.uuid,
                    target_label=label,
                    changes=changes,
                )
        return convert.order_summary(with_summary_data(PatientOrder.objects.filter(pk=order.pk)).get())
