"""Actions on the orders ticked in the list: flag, assign, link, delete. Each has its own URL
(the list's buttons use ``formaction``) and returns to the list with its filters."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from orders.forms.actions import BulkAssignForm, BulkFlagForm, OrderIdsForm
from portal.access import AuthedRequest
from portal.rendering import redirect_back
from postdicom import get_api
from postdicom.errors import Forbidden, InvalidInput, NotFound


def _back(request: AuthedRequest) -> HttpResponse:
    return redirect_back(request, reverse("orders:list"))


def _each(request: AuthedRequest, order_ids: list[UUID], action: Callable[[UUID], None]) -> int:
    """Apply ``action`` to every order; report the ones that failed, keep going."""
    done = 0
    for order_id in order_ids:
        try:
            action(order_id)
        except (InvalidInput, NotFound, Forbidden) as error:
            messages.error(request, error.message)
        else:
            done += 1
    return done


def _invalid(request: AuthedRequest, form: OrderIdsForm) -> HttpResponse:
    for errors in form.errors.values():
        messages.error(request, str(errors[0]))
        break
    return _back(request)


@require_POST
@login_required
def bulk_flag(request: AuthedRequest) -> HttpResponse:
    form = BulkFlagForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    group_id, flag_id = form.group_and_flag()
    api = get_api()
    done = _each(
        request,
        form.cleaned_data["order_ids"],
        lambda oid: api.set_order_flag(actor=request.user, order_id=oid, group_id=group_id, flag_id=flag_id),
    )
    messages.success(request, ngettext("Flag saved on %(n)d order.", "Flag saved on %(n)d orders.", done) % {"n": done})
    return _back(request)


@require_POST
@login_required
def bulk_assign(request: AuthedRequest) -> HttpResponse:
    form = BulkAssignForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    user_id, group_id = form.target()
    api = get_api()
    done = _each(
        request,
        form.cleaned_data["order_ids"],
        lambda oid: api.assign_order(actor=request.user, order_id=oid, user_id=user_id, group_id=group_id),
    )
    messages.success(request, ngettext("%(n)d order assigned.", "%(n)d orders assigned.", done) % {"n": done})
    return _back(request)


@require_POST
@login_required
def bulk_link(request: AuthedRequest) -> HttpResponse:
    form = OrderIdsForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    try:
        get_api().link_orders(actor=request.user, order_ids=form.cleaned_data["order_ids"])
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The orders are linked: they open together."))
    return _back(request)


@require_POST
@login_required
def bulk_delete(request: AuthedRequest) -> HttpResponse:
    form = OrderIdsForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    api = get_api()
    done = _each(
        request, form.cleaned_data["order_ids"], lambda oid: api.delete_order(actor=request.user, order_id=oid)
    )
    messages.success(
        request,
        ngettext("%(n)d order moved to the recycle bin.", "%(n)d orders moved to the recycle bin.", done) % {"n": done},
    )
    return _back(request)
