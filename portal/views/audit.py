"""The audit log: a filtered, paged list of events, and the same events as a CSV download.

Both pages only read: the service layer has no way to change or delete an event.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import replace

from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from portal.access import AuthedRequest, admin_required
from portal.forms.audit import AuditFilterForm
from portal.rendering import render_page
from postdicom import get_api
from postdicom.types import AuditEvent, AuditQuery, Page

#: Events fetched per service call while exporting (the service's largest page).
EXPORT_PAGE_SIZE = 500

CSV_COLUMNS = ("time", "actor", "action", "target_type", "target", "ip", "details")

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@require_safe
@admin_required
def audit_log(request: AuthedRequest) -> HttpResponse:
    """Newest first; htmx gets only the results (and the filter messages) as filters change."""
    filters = AuditFilterForm(request.GET)
    filters.is_valid()  # messages show next to the fields; valid fields still filter
    page = get_api().audit_log(actor=request.user, query=filters.query())
    context = {"section": "admin", "tab": "audit", "filters": filters, "page": page}
    return render_page(request, "portal/audit/list.html", context, fragment="results")


@require_safe
@admin_required
def audit_export(request: AuthedRequest) -> HttpResponseBase:
    """Every event that matches the filters, as CSV, read from the service page by page.

    Administrators only (the service refuses anyone else). The first page is read before the
    download starts, so a refusal is a proper 403 page rather than a broken file."""
    params = request.GET.copy()
    params.pop("page", None)  # the export is every page
    filters = AuditFilterForm(params)
    if not filters.is_valid():  # the list page explains what is wrong
        return redirect(f"{reverse('portal:audit_log')}?{request.GET.urlencode()}")
    started = timezone.now()
    query = filters.query(page_size=EXPORT_PAGE_SIZE)
    first = get_api().audit_log(actor=request.user, query=query, export=True)
    rows = _csv_lines(_events(request.user, query, first, until=started))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{started:%Y%m%d-%H%M%S}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _events(actor: User, query: AuditQuery, page: Page[AuditEvent], *, until: dt.datetime) -> Iterator[AuditEvent]:
    """The matching events as they were at ``until``, from ``page`` (the first) on. Each next
    page is the events after the last one read (``older_than``), so events recorded while the
    export runs (newer than all of them) never come in and nothing is read twice."""
    while True:
        for event in page.items:
            if event.at <= until:
                yield event
        if not page.has_next or not page.items:
            return
        last = page.items[-1]
        page = get_api().audit_log(
            actor=actor, query=replace(query, page=1, older_than=(last.at, last.id)), export=True
        )


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _csv_lines(events: Iterator[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # The byte-order mark makes spreadsheet programs read the file as UTF-8 (accents in names).
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)
    for event in events:
        details = json.dumps(dict(event.detail), cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)
        cells = (
            event.at.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            event.actor_name,
            event.action,
            event.target_type,
            event.target_label,
            event.ip or "",
            details,
        )
        yield writer.writerow([_cell(c) for c in cells])
