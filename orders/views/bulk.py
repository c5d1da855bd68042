"""Actions on the orders ticked in the list: flag, assign, link (or add to a link), delete.
Each has its own URL
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

from orders.forms.actions import BulkAssignForm, BulkFlagForm, LinkForm, OrderIdsForm
from orders.views.links import ask_before_linking
from portal.access import AuthedRequest
from portal.rendering import redirect_back
from postdicom import get_api
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.types import OrderQuery


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
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    order_ids = form.cleaned_data["order_ids"]
    try:
        get_api().link_orders(
            actor=request.user,
            order_ids=order_ids,
            confirm_different_patients=form.cleaned_data["confirm_different_patients"],
        )
    except InvalidInput as error:
        asking = ask_before_linking(request, error, order_ids, reverse("orders:bulk_link"), _back(request)["Location"])
        if asking is not None:
            return asking
        messages.error(request, error.message)
    else:
        messages.success(request, _("The orders are linked: they open together."))
    return _back(request)


@require_POST
@login_required
def bulk_add_to_link(request: AuthedRequest) -> HttpResponse:
    """Add the ticked orders to the link of the one ticked order that is already linked."""
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    api = get_api()
    order_ids = form.cleaned_data["order_ids"]
    ticked = api.search_orders(actor=request.user, query=OrderQuery(order_ids=tuple(order_ids), page_size=200)).items
    if len(ticked) != len(set(order_ids)):
        raise NotFound(_("No such order."))  # as the service says for an order it hides
    groups = {o.group_id for o in ticked if o.group_id is not None}
    if len(groups) != 1:
        messages.error(
            request,
            _("Tick one order that is already linked (🔗) and the orders to add to its link.")
            if not groups
            else _("The ticked orders are in different links. Tick orders of one link only, and the orders to add."),
        )
        return _back(request)
    group_id = groups.pop()
    anchor = next(o for o in ticked if o.group_id == group_id)
    joining = [oid for oid in order_ids if oid not in {o.id for o in ticked if o.group_id == group_id}]
    if not joining:
        messages.error(request, _("Tick the orders to add as well as the linked one."))
        return _back(request)
    try:
        api.add_to_order_group(
            actor=request.user,
            group_id=group_id,
            order_ids=joining,
            confirm_different_patients=form.cleaned_data["confirm_different_patients"],
        )
    except InvalidInput as error:
        asking = ask_before_linking(
            request, error, order_ids, reverse("orders:bulk_add_to_link"), _back(request)["Location"]
        )
        if asking is not None:
            return asking
        messages.error(request, error.message)
    else:
        n = len(joining)
        messages.success(
            request,
            ngettext("%(n)d order added to the link of %(order)s.", "%(n)d orders added to the link of %(order)s.", n)
            % {"n": n, "order": anchor.label},
        )
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
