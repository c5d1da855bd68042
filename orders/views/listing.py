"""The order list (the staff's home page) and the recycle bin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from folders.orderlist import folder_filter
from orders.forms.search import STATUS_LABELS, OrderSearchForm, presets
from orders.views.choices import assignees
from portal.access import AuthedRequest, me
from portal.forms.service import show_errors
from portal.rendering import render_page
from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.types import OrderQuery, Role

#: Service query field → search form field.
QUERY_FIELDS = {
    "patient_name": "name",
    "accession_number": "accession",
    "other_patient_id": "other_patient_id",
    "birth_date_to": "birth_to",
    "birth_date_from": "birth_from",
    "institution_ids": "institution",
    "modalities": "modality",
    "statuses": "status",
    "flag_id": "flag",
}


def search_context(request: AuthedRequest, narrow: Callable[[OrderQuery], OrderQuery]) -> dict[str, Any]:
    """The order table's context, shared by every page that shows it: the filters, the page
    of results (``narrow`` adds what the page itself fixes, e.g. a folder), the presets and
    the choices of the bulk actions."""
    api = get_api()
    actor = request.user
    flag_groups = api.flag_dictionary(actor=actor)
    form = OrderSearchForm(request.GET, institutions=api.list_institutions(actor=actor), flag_groups=flag_groups)
    page = None
    if form.is_valid():
        try:
            page = api.search_orders(actor=actor, query=narrow(form.query()))
        except InvalidInput as error:
            show_errors(form, error, fields=QUERY_FIELDS)
    can_manage = me(request).role is not Role.LIMITED
    return {
        "form": form,
        "page": page,
        "presets": presets(),
        "status_labels": STATUS_LABELS,
        "flag_groups": flag_groups,
        "can_manage": can_manage,
        "assignees": assignees(request) if can_manage else [],
        "sort": form.cleaned_data.get("sort") if form.is_valid() else "",
    }


@require_safe
@login_required
def order_list(request: AuthedRequest) -> HttpResponse:
    """Search orders; htmx gets only the results as the filters change."""
    folders = folder_filter(request)  # the folder filter, and whether to offer "Add to folders"
    context = {
        "section": "orders",
        **search_context(request, folders.narrow),
        "list_url": reverse("orders:list"),
        **folders.context(),
    }
    return render_page(request, "orders/list.html", context, fragment="results")


@require_safe
@login_required
def recycle_bin(request: AuthedRequest) -> HttpResponse:
    """Deleted orders with the days left before they are purged (staff and administrators)."""
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    page = get_api().recycle_bin(actor=request.user, page=number)
    return render_page(request, "orders/recycle_bin.html", {"section": "orders", "page": page})
