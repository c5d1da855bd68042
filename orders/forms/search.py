"""The order list's filters. Every filter lives in the URL, so a search can be bookmarked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from postdicom.types import (
    MODALITIES,
    ORDER_SORTS,
    PAGE_NUMBER_MAX,
    FlagGroup,
    Institution,
    OrderFilter,
    OrderQuery,
    OrderStatus,
)

STATUS_LABELS = {
    OrderStatus.SCHEDULED: _("Scheduled"),
    OrderStatus.IMAGES_RECEIVED: _("Images received"),
    OrderStatus.REPORTED: _("Reported"),
    OrderStatus.CLOSED: _("Closed"),
}

#: The service filters each search field sets. A field is offered only when the backend
#: applies every one of them (``api.order_filters``): the page never offers a filter whose
#: results would look filtered and not be. Fields not named here are always offered.
FIELD_FILTERS: dict[str, tuple[OrderFilter, ...]] = {
    "name": (OrderFilter.PATIENT_NAME,),
    "patient_id": (OrderFilter.PATIENT_ID,),
    "exact_id": (OrderFilter.PATIENT_ID, OrderFilter.EXACT_PATIENT_ID),
    "other_patient_id": (OrderFilter.OTHER_PATIENT_ID,),
    "accession": (OrderFilter.ACCESSION_NUMBER,),
    "modality": (OrderFilter.MODALITIES,),
    "institution": (OrderFilter.INSTITUTION_IDS,),
    "date_from": (OrderFilter.DATE_FROM,),
    "date_to": (OrderFilter.DATE_TO,),
    "birth_from": (OrderFilter.BIRTH_DATE_FROM,),
    "birth_to": (OrderFilter.BIRTH_DATE_TO,),
    "status": (OrderFilter.STATUSES,),
    "flag": (OrderFilter.FLAG_ID, OrderFilter.FLAGGED),
    "mine": (OrderFilter.ASSIGNED_TO_ME,),
    "sort": (OrderFilter.SORT,),
}
#: The order every backend lists in (``OrderQuery.sort``): asking for it is no sort of one's own.
DEFAULT_SORT = OrderQuery().sort


class OrderSearchForm(forms.Form):
    name = forms.CharField(
        label=_("Patient name"),
        required=False,
        help_text=_("At least 3 letters of any part of the name."),
    )
    patient_id = forms.CharField(label=_("Patient ID"), required=False, max_length=64)
    exact_id = forms.BooleanField(label=_("Exactly this ID"), required=False)
    other_patient_id = forms.CharField(label=_("Other patient ID"), required=False, max_length=64)
    accession = forms.CharField(label=_("Accession number"), required=False, max_length=16)
    modality = forms.MultipleChoiceField(
        label=_("Modalities"), required=False, choices=[(m, m) for m in MODALITIES], widget=forms.CheckboxSelectMultiple
    )
    institution = forms.TypedMultipleChoiceField(
        label=_("Institutions"), required=False, coerce=UUID, widget=forms.CheckboxSelectMultiple
    )
    date_from = forms.DateField(
        label=_("Order date from"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("Order date to"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    birth_from = forms.DateField(
        label=_("Born from"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    birth_to = forms.DateField(
        label=_("Born until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    status = forms.MultipleChoiceField(
        label=_("Status"), required=False, choices=list(STATUS_LABELS.items()), widget=forms.CheckboxSelectMultiple
    )
    flag = forms.TypedChoiceField(label=_("Flag"), required=False, coerce=str, empty_value="")
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort order"),
        required=False,
        choices=[(s, s) for s in ORDER_SORTS] + [(f"-{s}", s) for s in ORDER_SORTS],
    )
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=PAGE_NUMBER_MAX)

    def __init__(
        self,
        *args: Any,
        institutions: Sequence[Institution],
        flag_groups: Sequence[FlagGroup],
        filters: frozenset[OrderFilter] = frozenset(OrderFilter),
        **kwargs: Any,
    ) -> None:
        """``filters``: those the backend applies (``api.order_filters``); the fields needing
        another are left out of the form (``withheld``: their labels), and named in
        ``not_applied`` (labels) and ``not_applied_fields`` when the request carries them all
        the same (an old bookmark, a typed address)."""
        super().__init__(*args, **kwargs)
        self.fields["institution"].choices = [(str(i.id), i.name) for i in institutions]  # type: ignore[attr-defined]
        flag_choices: list[tuple[str, Any]] = [("", _("Any")), ("any", _("Any flag"))]
        for group in flag_groups:
            flag_choices.append((group.name, [(str(f.id), f.name) for f in group.flags]))
        self.fields["flag"].choices = flag_choices  # type: ignore[attr-defined]
        withheld = [name for name, needs in FIELD_FILTERS.items() if not filters.issuperset(needs)]
        self.withheld = [self.fields[name].label for name in withheld if name not in ("exact_id", "sort")]
        self.not_applied_fields = [name for name in withheld if self._carries(name)]
        self.not_applied = [self.fields[name].label for name in self.not_applied_fields]
        for name in withheld:
            del self.fields[name]

    def _carries(self, name: str) -> bool:
        """Whether the request asks for field ``name`` (the default sort is no request)."""
        values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data.get(name)]
        return any(value and not (name == "sort" and value == DEFAULT_SORT) for value in values)

    def offers(self, params: dict[str, str]) -> bool:
        """Whether every parameter of a search (a preset's) is a field of this form."""
        return all(name in self.fields for name in params)

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for start, end in (("date_from", "date_to"), ("birth_from", "birth_to")):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, _("This date is before the start date."))
        return data

    def query(self) -> OrderQuery:
        """The service query for the valid filters (invalid ones are left out)."""
        data = self.cleaned_data
        flag = data.get("flag") or ""
        return OrderQuery(
            patient_name=data.get("name") or "",
            patient_id=(data.get("patient_id") or "").strip(),
            exact_patient_id=bool(data.get("exact_id")),
            other_patient_id=(data.get("other_patient_id") or "").strip(),
            accession_number=(data.get("accession") or "").strip(),
            modalities=tuple(data.get("modality") or ()),
            institution_ids=tuple(data.get("institution") or ()),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            birth_date_from=data.get("birth_from"),
            birth_date_to=data.get("birth_to"),
            statuses=tuple(OrderStatus(s) for s in data.get("status") or ()),
            flag_id=UUID(flag) if flag and flag != "any" else None,
            flagged=flag == "any",
            assigned_to_me=bool(data.get("mine")),
            sort=data.get("sort") or DEFAULT_SORT,
            page=data.get("page") or 1,
        )

    def has_filters(self) -> bool:
        ignored = {"page", "sort", "sub_folders"}  # sub_folders only refines the folder filter
        return any(value for key, value in self.data.items() if key not in ignored)


def presets() -> list[tuple[Any, dict[str, str]]]:
    """Ready-made searches: label and query parameters."""
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    return [
        (_("Today"), {"date_from": today.isoformat(), "date_to": today.isoformat()}),
        (_("This week"), {"date_from": monday.isoformat(), "date_to": (monday + dt.timedelta(days=6)).isoformat()}),
        (_("Flagged"), {"flag": "any"}),
        (_("Assigned to me"), {"mine": "on"}),
    ]
