"""Forms of the DICOM node administration pages.

Only types are checked here; what makes a valid AE title, host or port is the service's
rule, and its messages are shown next to the fields (``NODE_FIELDS`` maps the names).
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from postdicom.types import DicomNode, DicomNodeDraft, Institution

#: Service field name → form field name, for ``show_errors``.
NODE_FIELDS = {"institution_id": "institution"}


class DicomNodeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, help_text=_("For example: CT room 2, Main PACS."))
    ae_title = forms.CharField(
        label=_("AE title"),
        widget=forms.TextInput(attrs={"maxlength": 16, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("1 to 16 plain characters, as configured on the device."),
    )
    host = forms.CharField(
        label=_("Host"),
        max_length=253,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Host name or IP address."),
    )
    port = forms.IntegerField(
        label=_("Port"),
        widget=forms.NumberInput(attrs={"min": 1, "max": 65535}),
        error_messages={"invalid": _("A port is a number from 1 to 65535.")},
        help_text=_("Usually 104 or 11112."),
    )
    institution = forms.TypedChoiceField(label=_("Institution"), coerce=UUID, empty_value=None)
    description = forms.CharField(label=_("Description"), max_length=250, required=False)

    def __init__(self, *args: object, institutions: Sequence[Institution], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices: list[tuple[str, str]] = [("", gettext("Choose an institution"))]
        for i in institutions:
            label = i.name if i.is_active else gettext("%(name)s (inactive)") % {"name": i.name}
            choices.append((str(i.id), label))
        self.fields["institution"].choices = choices  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(node: DicomNode) -> dict[str, object]:
        return {
            "name": node.name,
            "ae_title": node.ae_title,
            "host": node.host,
            "port": node.port,
            "institution": str(node.institution.id),
            "description": node.description,
        }

    def draft(self) -> DicomNodeDraft:
        data = self.cleaned_data
        return DicomNodeDraft(
            name=data["name"],
            ae_title=data["ae_title"],
            host=data["host"],
            port=data["port"],
            institution_id=data["institution"],
            description=data["description"],
        )
