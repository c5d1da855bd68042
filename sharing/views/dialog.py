"""The share dialog: share ticked orders, one order, or a folder with someone outside the
account (e-mail, link; upload-only for folders). An htmx request gets the dialog as a
fragment (``#dialog`` of the page it opens on); without JavaScript it is a page of its own.
The answer to a successful share shows the link, its QR code and a generated password once:
neither is kept anywhere, so the page is not cached and the password is not put in a message."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from portal.access import AuthedRequest
from portal.forms.service import show_errors
from portal.rendering import render_page
from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.types import Capability, OrderQuery, Share
from sharing.forms import ShareForm, TickedOrdersForm
from sharing.qr import qr_svg


def _contacts(request: AuthedRequest) -> Any:
    """Addresses to suggest; none on a backend without a directory (the cloud backend), which
    still shares by link."""
    api = get_api()
    if Capability.LIST_CONTACTS not in api.capabilities:
        return ()
    return api.list_contacts(actor=request.user)


def _created(request: AuthedRequest, share: Share) -> HttpResponse:
    context = {"section": "shares", "share": share, "qr": qr_svg(share.url, title=share.title)}
    response = render_page(request, "sharing/created.html", context, fragment="created")
    add_never_cache_headers(response)
    response["Cache-Control"] += ", no-store"
    return response


def _dialog(request: AuthedRequest, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    context = {"section": "shares", "contacts": _contacts(request), **context}
    return render_page(request, "sharing/dialog.html", context, fragment="dialog", status=status)


@require_http_methods(["GET", "POST"])
@login_required
def share_orders(request: AuthedRequest) -> HttpResponse:
    """Share the orders named by ``order_ids`` (ticked in a list, or one order's page)."""
    if "csrfmiddlewaretoken" in request.GET:
        # The order list's bulk bar sends its form here with GET: drop its token from the URL.
        kept = [(k, v) for k, v in request.GET.lists() if k != "csrfmiddlewaretoken"]
        query = urlencode([(k, v) for k, values in kept for v in values])
        return HttpResponseRedirect(f"{request.path}?{query}")
    data = request.POST if request.method == "POST" else request.GET
    ticked = TickedOrdersForm(data)
    if not ticked.is_valid():
        return _dialog(request, {"ticked": ticked, "orders": ()}, status=400)
    order_ids = tuple(ticked.cleaned_data["order_ids"])
    api = get_api()
    found = api.search_orders(actor=request.user, query=OrderQuery(order_ids=order_ids, page_size=len(order_ids)))
    if len(found.items) != len(set(order_ids)):
        raise Http404
    offer = api.share_offer(actor=request.user)
    form = ShareForm(request.POST if request.method == "POST" else None, offer=offer, language=get_language())
    if request.method == "POST" and form.is_valid():
        try:
            share = api.share_orders(
                actor=request.user, order_ids=order_ids, audience=form.share_audience(), options=form.options()
            )
        except InvalidInput as error:
            show_errors(form, error)
        else:
            return _created(request, share)
    return _dialog(
        request,
        {"form": form, "orders": found.items, "order_ids": order_ids, "next": data.get("next", "")},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def share_folder(request: AuthedRequest, folder_id: UUID) -> HttpResponse:
    """Share one of the user's folders outside the account (view or upload-only)."""
    api = get_api()
    folder = api.get_folder(actor=request.user, folder_id=folder_id)  # NotFound for others' folders
    offer = api.share_offer(actor=request.user, folder=True)
    form = ShareForm(request.POST if request.method == "POST" else None, offer=offer, language=get_language())
    if request.method == "POST" and form.is_valid():
        try:
            (share,) = api.share_folder(
                actor=request.user, folder_id=folder_id, audience=form.share_audience(), options=form.options()
            )
        except InvalidInput as error:
            show_errors(form, error)
        else:
            return _created(request, share)
    return _dialog(request, {"form": form, "folder": folder}, status=400 if form.is_bound else 200)
