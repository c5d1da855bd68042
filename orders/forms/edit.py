"""Editing an order: the creation form's fields and checks, filled with the order's values.
The institution is shown but not changed here (moving an order is its own action)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from orders.forms.create import OrderForm
from postdicom.types import DicomNode, OrderDetail


def _initial(detail: OrderDetail) -> dict[str, Any]:
    """The form's values for the order as stored."""
    draft = detail.draft
    last, first, *rest = [*draft.patient_name.split("^"), "", ""]
    values = {name: getattr(draft, name) for name in draft.__dataclass_fields__ if name != "patient_name"}
    # A name with more than three parts (prefix, suffix, from DICOM files) keeps them.
    middle = "^".join(rest).rstrip("^")
    return {**values, "last_name": last, "first_name": first, "middle_name": middle}


class OrderEditForm(OrderForm):
    """``OrderForm`` for an existing order: its institution fixed, its equipment choices the
    nodes of that institution, and no duplicate check (the patient already has this order)."""

    def __init__(self, *args: Any, detail: OrderDetail, nodes: Sequence[DicomNode], **kwargs: Any) -> None:
        institution = detail.summary.institution
        kwargs["initial"] = _initial(detail) | {"institution_id": str(institution.id)}
        super().__init__(
            *args, institutions=[institution], nodes=[n for n in nodes if n.institution.id == institution.id], **kwargs
        )
        field = self.fields["institution_id"]
        field.choices = [(str(institution.id), institution.name)]  # type: ignore[attr-defined]
        field.disabled = True
        field.help_text = _("To move the order to another institution, use “Move” on the order's page.")
        del self.fields["confirm_duplicates"]
