"""Small forms behind the order actions (flag, assign, move, link, bulk)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.utils.translation import gettext_lazy as _


class FlagForm(forms.Form):
    """Set (or with no flag, clear) the order's flag in one flag group."""

    group_id = forms.UUIDField()
    flag_id = forms.UUIDField(required=False)


class AssignForm(forms.Form):
    assignee = forms.RegexField(
        regex=r"^(user|group):[0-9a-fA-F-]{36}$",
        error_messages={"invalid": _("Choose a user or a user group.")},
    )

    def target(self) -> tuple[UUID | None, UUID | None]:
        kind, _sep, raw = self.cleaned_data["assignee"].partition(":")
        value = UUID(raw)
        return (value, None) if kind == "user" else (None, value)


class UnassignForm(forms.Form):
    user_id = forms.UUIDField(required=False)
    group_id = forms.UUIDField(required=False)


class MoveForm(forms.Form):
    institution_id = forms.UUIDField(error_messages={"required": _("Choose an institution.")})


class UUIDsField(forms.TypedMultipleChoiceField):
    """Several ids. Any UUID is a valid choice: the service decides what the actor may touch."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=UUID, **kwargs)

    def valid_value(self, value: object) -> bool:
        try:
            UUID(str(value))
        except ValueError:
            return False
        return True


class OrderIdsForm(forms.Form):
    """The orders ticked in the list."""

    order_ids = UUIDsField(error_messages={"required": _("Tick at least one order first.")})


class LinkForm(OrderIdsForm):
    """Orders to link; ``confirm_different_patients`` once the user said they belong together
    although their patients differ."""

    order_ids = UUIDsField(error_messages={"required": _("Tick the orders to link first.")})
    confirm_different_patients = forms.BooleanField(required=False)


class BulkFlagForm(OrderIdsForm):
    flag = forms.RegexField(
        regex=r"^[0-9a-fA-F-]{36}:([0-9a-fA-F-]{36})?$",
        error_messages={"required": _("Choose a flag."), "invalid": _("Choose a flag.")},
    )

    def group_and_flag(self) -> tuple[UUID, UUID | None]:
        group, _sep, flag = self.cleaned_data["flag"].partition(":")
        return UUID(group), UUID(flag) if flag else None


class BulkAssignForm(OrderIdsForm, AssignForm):
    pass
