"""The form of the API key administration page: a name and the user the key acts as.

What makes a valid name or owner is the service's rule; its messages are shown next to the
fields (``API_KEY_FIELDS`` maps the names)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from postdicom.types import UserInfo

#: Service field name → form field name, for ``show_errors``.
API_KEY_FIELDS = {"user_id": "user"}


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("What the key is for, so you recognise it later. For example: Lab results importer."),
    )
    user = forms.TypedChoiceField(
        label=_("Acts as"),
        coerce=UUID,
        empty_value=None,
        help_text=_("The key can see and do exactly what this user can, no more."),
    )

    def __init__(self, *args: object, users: Sequence[UserInfo], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices: list[tuple[str, str]] = [("", gettext("Choose a user"))]
        choices += [(str(u.id), f"{u.full_name} ({u.username})") for u in users if u.is_active]
        self.fields["user"].choices = choices  # type: ignore[attr-defined]
