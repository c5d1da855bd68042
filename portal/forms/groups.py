"""Forms of the user group pages and of the membership panel on the user page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from postdicom.types import PAGE_NUMBER_MAX, UserGroupInfo

# Service limits, repeated here so the browser and the form refuse long text first.
NAME_MAX = 120
DESCRIPTION_MAX = 250


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the group is for, e.g. “Radiologists who report CT”."),
    )

    @staticmethod
    def initial_for(group: UserGroupInfo) -> dict[str, object]:
        return {"name": group.name, "description": group.description}


class GroupFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=NAME_MAX)


class MemberSearchForm(forms.Form):
    """The state of a group page: the text searched among possible members (``q``) and
    the page of the member list (``page``). Membership changes post them back so the page
    comes back as it was."""

    q = forms.CharField(label=_("Find people to add"), required=False, max_length=150)
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=PAGE_NUMBER_MAX)

    def values(self) -> tuple[str, int]:
        """``(q, page)``, falling back to ``("", 1)`` for whichever is not valid."""
        self.is_valid()
        data = self.cleaned_data
        return (data.get("q") or "").strip(), data.get("page") or 1


class UUIDListField(forms.Field):
    """Several user ids posted under one name (checkboxes, or one button's value)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Choose at least one person."),
        "invalid": _("One of the chosen people does not exist."),
    }

    def to_python(self, value: Any) -> list[UUID]:
        values = [v for v in (value if isinstance(value, list | tuple) else [value]) if v]
        try:
            return list(dict.fromkeys(UUID(str(v)) for v in values))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class AddMembersForm(MemberSearchForm):
    user_ids = UUIDListField()


class JoinGroupForm(forms.Form):
    """On the user page: one of the groups the user is not in yet."""

    group_id = forms.TypedChoiceField(
        label=_("Group"),
        coerce=UUID,
        error_messages={
            "required": _("Choose a group."),
            "invalid_choice": _("Choose one of the groups in the list; it may have just been deleted."),
        },
    )

    def __init__(self, *args: Any, groups: Sequence[UserGroupInfo], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["group_id"])
        field.choices = [("", _("Choose a group…")), *((str(g.id), g.name) for g in groups)]
