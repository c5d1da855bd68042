"""The order form: every field of PostDICOM's CreateOrder… methods, minimal ones first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from postdicom.dicom import modalities
from postdicom.types import (
    ORDER_PRIORITIES,
    ORDER_REQUIRED_FIELDS,
    ORDER_TEXT_LIMITS,
    DicomNode,
    Institution,
    OrderDraft,
    join_patient_name,
)

#: The earliest date an order or a birth date may have (as the service says).
EARLIEST_DATE = dt.date(1900, 1, 1)

#: Fields shown first; everything else sits under "More details".
MINIMAL_FIELDS = (
    "institution_id",
    "last_name",
    "first_name",
    "middle_name",
    "patient_id",
    "birth_date",
    "sex",
    "modality",
    "study_description",
    "order_date",
    "order_time",
)

SEX_LABELS = {"F": _("Female"), "M": _("Male"), "O": _("Other")}
_SEX_CHOICES = [("", _("Unknown")), *SEX_LABELS.items()]
PRIORITY_LABELS = {
    "STAT": _("Stat (immediately)"),
    "HIGH": _("High"),
    "ROUTINE": _("Routine"),
    "MEDIUM": _("Medium"),
    "LOW": _("Low"),
}


#: Said instead of a browser cutting a longer value silently (the fields have no ``maxlength``).
TOO_LONG = {"max_length": _("Use at most %(limit_value)d characters (this has %(show_value)d).")}


def _text(label: Any, field: str, *, required: bool = False, long: bool = False, **kwargs: Any) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": 3}) if long else None
    return forms.CharField(
        label=label,
        required=required,
        max_length=ORDER_TEXT_LIMITS[field],
        widget=widget,
        error_messages=TOO_LONG,
        **kwargs,
    )


class OrderForm(forms.Form):
    institution_id = forms.TypedChoiceField(label=_("Institution"), coerce=UUID)
    last_name = forms.CharField(label=_("Last name"), max_length=64, error_messages=TOO_LONG)
    first_name = forms.CharField(label=_("First name"), max_length=64, required=False, error_messages=TOO_LONG)
    middle_name = forms.CharField(label=_("Middle name"), max_length=64, required=False, error_messages=TOO_LONG)
    patient_id = _text(_("Patient ID"), "patient_id", required=True)
    modality = _text(
        _("Modality"),
        "modality",
        required=True,
        help_text=_("A DICOM modality code, like CT, MR, US or CR."),
    )
    study_description = _text(_("Study description"), "study_description")
    order_date = forms.DateField(
        label=_("Order date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    order_time = forms.TimeField(
        label=_("Order time"),
        required=False,
        input_formats=["%H:%M"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    # --- More details
    other_patient_id = _text(_("Other patient ID"), "other_patient_id")
    birth_date = forms.DateField(
        label=_("Birth date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=_SEX_CHOICES, required=False)
    accession_number = _text(_("Accession number"), "accession_number", help_text=_("1 to 16 characters."))
    priority = forms.ChoiceField(
        label=_("Priority"),
        required=False,
        choices=[("", _("Not set"))] + [(p, PRIORITY_LABELS[p]) for p in ORDER_PRIORITIES],
    )
    requesting_physician = _text(_("Requesting physician"), "requesting_physician")
    requesting_department = _text(_("Requesting department"), "requesting_department")
    referring_physician = _text(_("Referring physician"), "referring_physician")
    procedure_id = _text(_("Requested procedure ID"), "procedure_id")
    procedure_description = _text(_("Requested procedure description"), "procedure_description")
    scheduled_equipment_id = forms.TypedChoiceField(
        label=_("Scheduled equipment"), required=False, coerce=UUID, empty_value=None
    )
    performed_at = forms.DateTimeField(
        label=_("Performed date and time"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    complaints = _text(_("Complaints"), "complaints", long=True)
    history = _text(_("Patient history"), "history", long=True)
    symptom = _text(_("Symptoms"), "symptom", long=True)
    note1 = _text(_("Order note 1"), "note1", long=True)
    note2 = _text(_("Order note 2"), "note2", long=True)
    confirm_duplicates = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        institutions: Sequence[Institution],
        nodes: Sequence[DicomNode],
        required: frozenset[str] = ORDER_REQUIRED_FIELDS,
        accession_unique: bool = True,
        **kwargs: Any,
    ) -> None:
        """``required``: the backend's ``required_order_fields`` (``OrderDraft`` names). The
        form requires ``ORDER_REQUIRED_FIELDS`` itself (the name: its last name); the others
        it has are marked and checked as required too, saying that the server requires them.
        ``accession_unique``: the backend's ``accession_numbers_unique`` (the help text says
        so only when it is true)."""
        kwargs.setdefault("initial", {}).setdefault("order_date", timezone.localdate())
        super().__init__(*args, **kwargs)
        for name in required - ORDER_REQUIRED_FIELDS:  # the server's own: it says why
            if name in self.fields:
                self.fields[name].required = True
                self.fields[name].error_messages["required"] = _("The image server requires this for an order.")
        if accession_unique:
            self.fields["accession_number"].help_text = _("1 to 16 characters, unique in the institution.")
        active = [i for i in institutions if i.is_active]
        self.fields["institution_id"].choices = [(str(i.id), i.name) for i in active]  # type: ignore[attr-defined]
        if len(active) == 1:
            self.fields["institution_id"].initial = str(active[0].id)
        self.fields["scheduled_equipment_id"].choices = [("", _("None"))] + [  # type: ignore[attr-defined]
            (str(n.id), f"{n.name} ({n.ae_title}) · {n.institution.name}") for n in nodes
        ]
        self.fields["modality"].widget.attrs.update({"list": "modalities", "autocapitalize": "characters"})
        for field in self.fields.values():
            # A browser cuts what is typed past ``maxlength`` without a word; the form says it instead.
            field.widget.attrs.pop("maxlength", None)

    @property
    def modalities(self) -> tuple[str, ...]:
        return modalities.COMMON

    # The service checks these too, but only once the whole form is valid: checked here as well,
    # every mistake the form alone can see is reported at once.
    def clean_modality(self) -> str:
        code = modalities.normalize(self.cleaned_data["modality"])
        problem = modalities.modality_problem(code)
        if problem:
            raise forms.ValidationError(problem, code="modality")
        return code

    def clean_birth_date(self) -> dt.date | None:
        birth: dt.date | None = self.cleaned_data.get("birth_date")
        if birth is not None and birth > timezone.localdate():
            raise forms.ValidationError(_("The birth date cannot be in the future."), code="future")
        if birth is not None and birth < EARLIEST_DATE:
            raise forms.ValidationError(_("Enter a date after 1900."), code="too_early")
        return birth

    def clean_order_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["order_date"]
        if day < EARLIEST_DATE:
            raise forms.ValidationError(_("Enter a date after 1900."), code="too_early")
        return day

    def minimal_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in MINIMAL_FIELDS]

    def detail_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in MINIMAL_FIELDS and name != "confirm_duplicates"]

    def details_have_errors(self) -> bool:
        return any(field.errors for field in self.detail_fields())

    def draft(self) -> OrderDraft:
        data = self.cleaned_data
        return OrderDraft(
            patient_name=join_patient_name(data["last_name"], data["first_name"], data["middle_name"]),
            patient_id=data["patient_id"].strip(),
            modality=data["modality"].strip().upper(),
            order_date=data["order_date"],
            order_time=data.get("order_time"),
            study_description=data["study_description"].strip(),
            other_patient_id=data["other_patient_id"].strip(),
            birth_date=data.get("birth_date"),
            sex=data["sex"],
            accession_number=data["accession_number"].strip(),
            complaints=data["complaints"].strip(),
            history=data["history"].strip(),
            symptom=data["symptom"].strip(),
            priority=data["priority"],
            requesting_physician=data["requesting_physician"].strip(),
            requesting_department=data["requesting_department"].strip(),
            referring_physician=data["referring_physician"].strip(),
            procedure_id=data["procedure_id"].strip(),
            procedure_description=data["procedure_description"].strip(),
            scheduled_equipment_id=data.get("scheduled_equipment_id"),
            performed_at=data.get("performed_at"),
            note1=data["note1"].strip(),
            note2=data["note2"].strip(),
        )

    def institution(self) -> UUID:
        return self.cleaned_data["institution_id"]


#: Service field names (OrderDraft) → form fields, where they differ.
SERVICE_FIELDS = {"patient_name": "last_name"}
