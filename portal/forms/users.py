"""Forms of the user administration pages."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from django import forms
from django.utils.translation import gettext_lazy as _

from postdicom.types import PAGE_NUMBER_MAX, Institution, Role, UserDraft, UserInfo

ROLE_CHOICES = [
    (Role.STAFF.value, _("Staff: every order of their institutions")),
    (Role.LIMITED.value, _("Limited access: only orders assigned or shared to them")),
    (Role.ADMINISTRATOR.value, _("Administrator: manages the account")),
]


class UserForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("E-mail"), required=False, help_text=_("Needed to reset a forgotten password by e-mail.")
    )
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, widget=forms.RadioSelect)
    institution_ids = forms.TypedMultipleChoiceField(
        label=_("Institutions"),
        coerce=UUID,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Staff and limited users work in these institutions."),
    )

    def __init__(self, *args: object, institutions: Sequence[Institution], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["institution_ids"].choices = [(str(i.id), i.name) for i in institutions]  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(user: UserInfo) -> dict[str, object]:
        return {
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "role": user.role.value,
            "institution_ids": [str(i.id) for i in user.institutions],
        }

    def draft(self) -> UserDraft:
        data = self.cleaned_data
        return UserDraft(
            username=data["username"].strip(),
            first_name=data["first_name"].strip(),
            last_name=data["last_name"].strip(),
            email=data["email"].strip(),
            role=Role(data["role"]),
            institution_ids=tuple(data["institution_ids"]),
        )


class NewUserForm(UserForm):
    password = forms.CharField(
        label=_("First password"),
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters. Give it to the user; they can change it after signing in."),
    )


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not a common word, not only digits."),
    )
    password2 = forms.CharField(
        label=_("New password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("The two passwords are not the same."))
        return data


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    role = forms.ChoiceField(
        label=_("Role"),
        required=False,
        choices=[
            ("", _("Any role")),
            (Role.ADMINISTRATOR.value, _("Administrator")),
            (Role.STAFF.value, _("Staff")),
            (Role.LIMITED.value, _("Limited access")),
        ],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Active and inactive")), ("active", _("Active only"))],
    )
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=PAGE_NUMBER_MAX)
