"""One order: every property, its images, documents, flags, assignments, links and history."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_safe

from orders.forms.search import STATUS_LABELS
from orders.views.choices import assignees
from portal.access import AuthedRequest
from portal.rendering import render_page
from postdicom import get_api
from postdicom.types import Capability, OrderDetail

#: The order's optional details: the page lists only those that are filled.
OPTIONAL_DETAILS = (
    "study_description",
    "accession_number",
    "other_patient_id",
    "priority",
    "requesting_physician",
    "requesting_department",
    "referring_physician",
    "procedure_id",
    "procedure_description",
    "performed_at",
    "complaints",
    "history",
    "symptom",
    "note1",
    "note2",
)


def _bare(detail: OrderDetail) -> bool:
    """Whether none of the optional details is filled (the page says so once)."""
    return detail.scheduled_equipment is None and not any(getattr(detail.draft, f) for f in OPTIONAL_DETAILS)


@require_safe
@login_required
def order_detail(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    api = get_api()
    detail = api.order_properties(actor=request.user, order_id=order_id)
    current_flags = {flag.group_id: flag.id for flag in detail.summary.flags}
    context = {
        "section": "orders",
        "order": detail.summary,
        "detail": detail,
        "status_labels": STATUS_LABELS,
        "flag_groups": api.flag_dictionary(actor=request.user)
        if Capability.FLAG_DICTIONARY in api.capabilities
        else (),
        "current_flags": current_flags,
        "bare": _bare(detail),
        "can_download": Capability.OPEN_ORDERS_ARCHIVE in api.capabilities,
        # What the image server behind the portal can show (the cloud backend lists studies
        # but serves no viewer, thumbnails or view links): links to the rest are left out.
        "can_view": Capability.OPEN_VIEWER in api.capabilities,
        "can_thumbnail": Capability.STUDY_THUMBNAIL in api.capabilities,
        "can_view_link": Capability.VIEW_URL in api.capabilities,
    }
    if detail.can_manage and {Capability.LIST_USERS, Capability.LIST_INSTITUTIONS} <= api.capabilities:
        context["assignees"] = assignees(request, detail.summary.institution.id)
        context["institutions"] = [
            i
            for i in api.list_institutions(actor=request.user)
            if i.is_active and i.id != detail.summary.institution.id
        ]
    return render_page(request, "orders/detail.html", context)
