"""The audit log's filters: free text, action, a date range and the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.audit_labels import action_choices
from postdicom.types import PAGE_NUMBER_MAX, AuditQuery

# Dates outside these years are typing mistakes, not audit history (and the far ends of the
# calendar cannot be turned into day boundaries in every time zone).
_FIRST_DAY = dt.date(1900, 1, 1)
_LAST_DAY = dt.date(2999, 12, 31)


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class AuditFilterForm(forms.Form):
    """Bound to ``request.GET``. Invalid fields get a message and are left out of the query;
    the valid ones still filter."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"placeholder": _("Who, target or IP address")}),
    )
    action = forms.ChoiceField(label=_("Action"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=_DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=_DateInput())
    page = forms.IntegerField(
        label=_("Page"), required=False, min_value=1, max_value=PAGE_NUMBER_MAX, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = action_choices()  # type: ignore[attr-defined]

    def _clean_day(self, name: str) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get(name)
        if day is not None and not _FIRST_DAY <= day <= _LAST_DAY:
            raise forms.ValidationError(
                _("Enter a date between %(first)s and %(last)s."),
                code="out_of_range",
                params={"first": _FIRST_DAY.isoformat(), "last": _LAST_DAY.isoformat()},
            )
        return day

    def clean_date_from(self) -> dt.date | None:
        return self._clean_day("date_from")

    def clean_date_to(self) -> dt.date | None:
        return self._clean_day("date_to")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start is not None and end is not None and start > end:
            self.add_error("date_to", _("“To” must be the same day as “From” or later."))
        return data

    def query(self, *, page_size: int = 50) -> AuditQuery:
        """The service query for the fields that are valid (call after ``is_valid``)."""
        data = self.cleaned_data
        return AuditQuery(
            text=data.get("q") or "",
            action=data.get("action") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            page=data.get("page") or 1,
            page_size=page_size,
        )
