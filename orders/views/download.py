"""Downloading orders as one ZIP: an order from its page, or the orders ticked in the list.

The archive holds a DICOMDIR, every stored image under ``DICOM/`` and the orders' documents
under ``DOCUMENTS/`` (``open_orders_archive`` decides what and checks who may see it: an order
the user does not see is a 404, as on every page). It is written while it is sent
(``portal.zipstream``): nothing is copied to disk or held whole, so a study of any size starts
downloading at once and the web process's memory stays flat.

``orders_archive_response`` is the whole download for any actor (a signed-in user, or the
scoped actor of a share link) and is what other apps call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from orders.forms.actions import OrderIdsForm
from portal.access import AuthedRequest
from portal.rendering import redirect_back
from portal.zipstream import zip_pieces
from postdicom import get_api
from postdicom.errors import InvalidInput

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def orders_archive_response(actor: User, order_ids: Sequence[UUID]) -> StreamingHttpResponse:
    """The streamed ZIP of ``order_ids`` as ``actor`` may see them. The service's errors
    (``NotFound`` for an order the actor does not see, ``InvalidInput``, ``Unavailable``)
    are raised before anything is sent, so the caller's error handling answers them."""
    archive = get_api().open_orders_archive(actor=actor, order_ids=order_ids)
    response = StreamingHttpResponse(zip_pieces(archive.entries), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, archive.filename) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET  # not HEAD: planning the archive records the download
@login_required
def order_download(request: AuthedRequest, order_id: UUID) -> HttpResponse | StreamingHttpResponse:
    """The order's ZIP; an order with nothing to download goes back to its page, which says so."""
    try:
        return orders_archive_response(request.user, [order_id])
    except InvalidInput as error:
        messages.error(request, error.message)
        return redirect("orders:detail", order_id=order_id)


@require_POST
@login_required
def bulk_download(request: AuthedRequest) -> HttpResponse | StreamingHttpResponse:
    form = OrderIdsForm(request.POST)
    back = redirect_back(request, reverse("orders:list"))
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, str(errors[0]))
            break
        return back
    try:
        return orders_archive_response(request.user, form.cleaned_data["order_ids"])
    except InvalidInput as error:
        messages.error(request, error.message)
        return back
