"""Forms of the institution (location) administration pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from postdicom.types import Institution, InstitutionDraft


class InstitutionForm(forms.Form):
    """A new institution: it starts active."""

    name = forms.CharField(label=_("Name"), max_length=120)
    address = forms.CharField(label=_("Address"), max_length=250, required=False)

    def draft(self) -> InstitutionDraft:
        return InstitutionDraft(name=self.cleaned_data["name"], address=self.cleaned_data["address"])


class InstitutionEditForm(InstitutionForm):
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("An inactive institution takes no new orders or uploads. Its orders and users stay."),
    )

    @staticmethod
    def initial_for(institution: Institution) -> dict[str, object]:
        return {"name": institution.name, "address": institution.address, "is_active": institution.is_active}
