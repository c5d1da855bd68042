"""The order list (the staff's home page) and the recycle bin."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from folders.orderlist import folder_filter
from orders.table import TableOptions, order_table
from portal.access import AuthedRequest
from portal.rendering import render_page
from postdicom import get_api


@require_safe
@login_required
def order_list(request: AuthedRequest) -> HttpResponse:
    """Search orders; htmx gets only the results as the filters change."""
    folders = folder_filter(request)  # the folder filter, and whether to offer "Add to folders"
    options = TableOptions(
        list_url=reverse("orders:list"), narrow=folders.narrow, may_file=folders.may_file, folder_filter=folders
    )
    context = {"section": "orders", "table": order_table(request, options)}
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
