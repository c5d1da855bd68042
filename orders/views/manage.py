"""Changing one order: recycle bin, flags, assignments, location, links. POST only (but for
the page that asks before purging); each action redirects back to the order (htmx swaps the
page's main part in place)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from orders.forms.actions import AssignForm, FlagForm, MoveForm, UnassignForm
from portal.access import AuthedRequest
from portal.rendering import redirect_back, render_page
from postdicom import get_api
from postdicom.errors import InvalidInput


def _act(
    request: AuthedRequest,
    order_id: UUID,
    form: forms.Form,
    change: Callable[[dict[str, Any]], None],
    done: str,
) -> HttpResponse:
    """Validate ``form``, make the ``change`` with its cleaned data, say ``done`` or what went
    wrong, and go back to the order."""
    if not form.is_valid():
        messages.error(request, next(str(e[0]) for e in form.errors.values()))
    else:
        try:
            change(form.cleaned_data)
        except InvalidInput as error:
            messages.error(request, error.message)
        else:
            messages.success(request, done)
    return redirect_back(request, reverse("orders:detail", args=[order_id]))


@require_POST
@login_required
def order_delete(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    get_api().delete_order(actor=request.user, order_id=order_id)
    messages.success(request, _("The order is in the recycle bin. You can restore it from there."))
    return redirect("orders:list")


@require_POST
@login_required
def order_restore(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    get_api().restore_order(actor=request.user, order_id=order_id)
    messages.success(request, _("The order is restored, with its flags, assignments and links."))
    return redirect_back(request, reverse("orders:detail", args=[order_id]))


@require_http_methods(["GET", "POST"])
@login_required
def order_purge(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    """Administrators empty an order from the recycle bin at once (an erasure request), after
    a page that names the patient and what goes."""
    api = get_api()
    item = api.recycled_order(actor=request.user, order_id=order_id)  # hidden or live: 404
    if not item.can_purge:
        raise PermissionDenied(_("Only administrators can delete an order for good before its time."))
    if request.method == "POST":
        api.purge_order(actor=request.user, order_id=order_id)
        messages.success(
            request,
            _("The order of %(name)s and its files are deleted for good.") % {"name": item.order.patient_display_name},
        )
        return redirect("orders:recycle_bin")
    return render_page(request, "orders/purge.html", {"section": "orders", "item": item})


@require_POST
@login_required
def order_flag(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    def change(data: dict[str, Any]) -> None:
        get_api().set_order_flag(
            actor=request.user, order_id=order_id, group_id=data["group_id"], flag_id=data["flag_id"]
        )

    return _act(request, order_id, FlagForm(request.POST), change, _("Flag saved."))


@require_POST
@login_required
def order_assign(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    form = AssignForm(request.POST)

    def change(data: dict[str, Any]) -> None:
        user_id, group_id = form.target()
        get_api().assign_order(actor=request.user, order_id=order_id, user_id=user_id, group_id=group_id)

    return _act(request, order_id, form, change, _("Assigned."))


@require_POST
@login_required
def order_unassign(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    def change(data: dict[str, Any]) -> None:
        get_api().unassign_order(
            actor=request.user, order_id=order_id, user_id=data["user_id"], group_id=data["group_id"]
        )

    return _act(request, order_id, UnassignForm(request.POST), change, _("Assignment removed."))


@require_POST
@login_required
def order_move(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    def change(data: dict[str, Any]) -> None:
        get_api().move_order_to_institution(
            actor=request.user, order_id=order_id, institution_id=data["institution_id"]
        )

    return _act(request, order_id, MoveForm(request.POST), change, _("The order moved to its new institution."))


@require_POST
@login_required
def order_unlink(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    get_api().unlink_orders(actor=request.user, order_ids=[order_id])
    messages.success(request, _("The order is no longer linked to other orders."))
    return redirect_back(request, reverse("orders:detail", args=[order_id]))
