"""Linking orders from an order's page: a picker of the orders to link with it (or to add to
its link), and the step that asks before linking orders of different patients."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from orders.forms.actions import LinkForm
from orders.forms.search import STATUS_LABELS
from portal.access import AuthedRequest
from portal.rendering import render_page
from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.types import DIFFERENT_PATIENTS, OrderDetail, OrderQuery, OrderSummary

#: At most this many orders are offered (a patient rarely has more; the search narrows).
_CHOICES = 100


def ask_before_linking(
    request: AuthedRequest, error: InvalidInput, order_ids: Sequence[UUID], action: str, back: str
) -> HttpResponse | None:
    """The page that asks whether orders of different patients belong together (the service
    refused with ``DIFFERENT_PATIENTS``); None for any other refusal."""
    if DIFFERENT_PATIENTS not in error.field_errors:
        return None
    context = {
        "section": "orders",
        "message": error.field_errors[DIFFERENT_PATIENTS][0],
        "order_ids": order_ids,
        "action": action,
        "back": back,
    }
    return render_page(request, "orders/link_confirm.html", context)


def _candidates(request: AuthedRequest, detail: OrderDetail, find: str) -> tuple[OrderSummary, ...]:
    """Orders of the order's institution that could join it: the same patient's, or with
    ``find`` those whose patient ID or accession number begins with it."""
    api = get_api()
    order = detail.summary
    base = OrderQuery(institution_ids=(order.institution.id,), page_size=_CHOICES)
    if find:
        queries = [replace(base, accession_number=find), replace(base, patient_id=find)]
    else:
        queries = [replace(base, patient_id=order.patient_id, exact_patient_id=True)]
    found: dict[UUID, OrderSummary] = {}
    for query in queries:
        for other in api.search_orders(actor=request.user, query=query).items:
            found.setdefault(other.id, other)
    linked = {o.id for o in detail.linked_orders} | {order.id}
    return tuple(o for o in found.values() if o.id not in linked)


def _link(request: AuthedRequest, detail: OrderDetail, form: LinkForm) -> None:
    """Add the chosen orders to the order's link, or link them with it."""
    api = get_api()
    order, chosen = detail.summary, form.cleaned_data["order_ids"]
    confirmed = form.cleaned_data["confirm_different_patients"]
    if order.group_id is not None:
        api.add_to_order_group(
            actor=request.user, group_id=order.group_id, order_ids=chosen, confirm_different_patients=confirmed
        )
    else:
        api.link_orders(actor=request.user, order_ids=[order.id, *chosen], confirm_different_patients=confirmed)


@require_http_methods(["GET", "POST"])
@login_required
def order_link(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    """Pick orders to link with this one (its link, if it has one, grows)."""
    detail = get_api().order_properties(actor=request.user, order_id=order_id)  # hidden: 404
    if not detail.can_manage:
        raise PermissionDenied(_("Only staff and administrators can do this to an order."))
    back = reverse("orders:detail", args=[order_id])
    form = LinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            _link(request, detail, form)
        except InvalidInput as error:
            here = reverse("orders:link", args=[order_id])
            asking = ask_before_linking(request, error, form.cleaned_data["order_ids"], here, back)
            if asking is not None:
                return asking
            messages.error(request, error.message)
        else:
            n = len(form.cleaned_data["order_ids"])
            messages.success(
                request,
                ngettext("%(n)d order linked with this one.", "%(n)d orders linked with this one.", n) % {"n": n},
            )
            return redirect(back)
    find = " ".join(request.GET.get("find", "").split())[:64]
    context = {
        "section": "orders",
        "order": detail.summary,
        "detail": detail,
        "form": form,
        "find": find,
        "candidates": _candidates(request, detail, find),
        "status_labels": STATUS_LABELS,
    }
    return render_page(request, "orders/link.html", context)
