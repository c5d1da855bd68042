"""Forms of the flag dictionary page: flag groups and their coloured flags."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from postdicom.types import Flag, FlagDraft, FlagGroup

DEFAULT_COLOR = "#0b5c74"


class FlagGroupForm(forms.Form):
    name = forms.CharField(
        label=_("Group name"),
        max_length=80,
        help_text=_("An order carries at most one flag of each group, for example: Priority, Report status."),
    )


class FlagForm(forms.Form):
    """A flag's name and colour; the service checks the colour is ``#rrggbb``."""

    name = forms.CharField(label=_("Flag name"), max_length=80)
    color = forms.CharField(label=_("Colour"), widget=forms.TextInput(attrs={"type": "color"}))

    @staticmethod
    def initial_for(flag: Flag) -> dict[str, object]:
        return {"name": flag.name, "color": flag.color}

    def draft(self) -> FlagDraft:
        return FlagDraft(name=self.cleaned_data["name"], color=self.cleaned_data["color"])


def new_flag_form(group: FlagGroup, data: Any = None) -> FlagForm:
    """The add-a-flag form of one group's card. Its ids name the group, so that several
    cards on one page never share an element id."""
    return FlagForm(data, initial={"color": DEFAULT_COLOR}, auto_id=f"id_flag_{group.id.hex}_%s")
