"""Forms that make view links: they validate and convert; the service gets typed values."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

#: How long a new link may last, in minutes (the service allows 5 minutes to 7 days).
LIFETIMES = (
    (15, _("15 minutes")),
    (60, _("1 hour")),
    (240, _("4 hours")),
    (480, _("8 hours")),
    (1440, _("24 hours")),
)
DEFAULT_MINUTES = 60

#: The service's field names → this module's.
VIEW_LINK_FIELDS = {"lifetime": "lifetime", "patient_name": "patient_name", "birth_date": "birth_date"}


class LifetimeForm(forms.Form):
    lifetime = forms.TypedChoiceField(
        label=_("Works for"),
        choices=LIFETIMES,
        coerce=int,
        initial=DEFAULT_MINUTES,
        help_text=_("Only from this computer's network address; you can revoke it sooner."),
    )

    def clean_lifetime(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.cleaned_data["lifetime"])


_REACH = [
    ("order", _("This order")),
    ("patient", _("Every order of this patient (the same name)")),
    ("patient_birth_date", _("Every order of this patient (the same name and birth date)")),
]


class OrderLinkForm(LifetimeForm):
    """One order, or every order of its patient (by name, or by name and birth date)."""

    ORDER = "order"
    PATIENT = "patient"
    PATIENT_AND_BIRTH_DATE = "patient_birth_date"

    reach = forms.ChoiceField(
        label=_("Show"),
        choices=_REACH,
        initial=ORDER,
        widget=forms.RadioSelect,
    )
    field_order = ("reach", "lifetime")

    def __init__(self, *args: object, has_birth_date: bool = True, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if not has_birth_date:
            field = self.fields["reach"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = _REACH[:2]


class PatientLinkForm(LifetimeForm):
    """Every order of a patient typed by name (GetViewUrlWithPatientName…AndBirthDate)."""

    patient_name = forms.CharField(
        label=_("Patient name"),
        max_length=200,
        help_text=_("The whole name, as “Last, First” or LAST^FIRST; case and accents do not matter."),
    )
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    field_order = ("patient_name", "birth_date", "lifetime")
