"""A view link opened (no sign-in): the viewer for the link's orders, the DICOMweb read side
it reads from and the orders' documents, all as the link's maker inside ``only_orders`` of the
link's orders.

A view link only shows (PostDICOM's view URLs are view-only): documents open in the browser,
and there is no ZIP; downloads are what a share link is for (docs/decisions.md, "View links
show documents, never download").

Every request resolves the link again (``open_view_link``), so expiry and revocation count
at once. A refused link gets a page that says why (404 unknown, 403 another address, 410
expired, revoked or withdrawn), never an error; the DICOMweb mount answers the same statuses
as JSON, as the rest of DICOMweb does.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from uuid import UUID

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from orders.viewer_config import document_entries, prior_entries, study_entries, viewer_config, viewer_csp
from orders.views.documents import INLINE_CSP  # a document shown may show itself, nothing else
from portal.downloads import file_response
from portal.middleware import client_address
from portal.rendering import render_page
from postdicom import get_api
from postdicom.context import only_orders
from postdicom.server.http import problem
from postdicom.types import Document, ViewLinkAccess, ViewLinkRefusal, ViewLinkUse

_STATUS = {
    ViewLinkRefusal.UNKNOWN: 404,
    ViewLinkRefusal.OTHER_ADDRESS: 403,
    ViewLinkRefusal.EXPIRED: 410,
    ViewLinkRefusal.REVOKED: 410,
    ViewLinkRefusal.WITHDRAWN: 410,
}


def _why(refusal: ViewLinkRefusal) -> tuple[str, str]:
    """The refused page's title and sentence."""
    if refusal is ViewLinkRefusal.EXPIRED:
        return _("This link has expired"), _("View links work for a short time. Ask for a new link.")
    if refusal is ViewLinkRefusal.REVOKED:
        return _("This link was revoked"), _("The person who made it ended it. Ask them for a new link.")
    if refusal is ViewLinkRefusal.OTHER_ADDRESS:
        return _("This link works on another network"), _(
            "A view link opens only from the network address it was made for. Ask for a link made from here."
        )
    if refusal is ViewLinkRefusal.WITHDRAWN:
        return _("Nothing to show any more"), _(
            "What this link showed is no longer available to the person who made it. Ask them for a new link."
        )
    return _("No such link"), _("Check that the whole link was copied, or ask for a new one.")


def _open(request: HttpRequest, token: str, use: ViewLinkUse) -> ViewLinkAccess:
    return get_api().open_view_link(token=token, client_ip=client_address(request) or "", use=use)


def resolve_images(request: HttpRequest, token: str) -> tuple[User, Collection[UUID]] | HttpResponseBase:
    """For ``postdicom.server.scoped``: the maker and the link's orders, or a JSON refusal."""
    access = _open(request, token, ViewLinkUse.IMAGES)
    if access.refusal is not None:
        return problem(_STATUS[access.refusal], _why(access.refusal)[0])
    assert isinstance(access.actor, User)
    return access.actor, access.order_ids


def _refused(request: HttpRequest, refusal: ViewLinkRefusal) -> HttpResponse:
    title, message = _why(refusal)
    response = render_page(
        request, "sharing/view_links/refused.html", {"title": title, "message": message}, status=_STATUS[refusal]
    )
    add_never_cache_headers(response)
    return response


@require_safe
@viewer_csp
def link_page(request: HttpRequest, token: str) -> HttpResponse:
    """The viewer for one of the link's orders (``?order=`` among them, else the newest), with
    the others to switch to."""
    access = _open(request, token, ViewLinkUse.PAGE)
    if access.refusal is not None:
        return _refused(request, access.refusal)
    assert isinstance(access.actor, User)
    assert access.link is not None
    chosen = _chosen(request, access)
    context: dict[str, object] = {"link": access.link, "orders": access.orders, "token": token, "chosen": chosen}
    if chosen is not None:
        with only_orders(access.order_ids):
            content = get_api().open_viewer(actor=access.actor, order_id=chosen)
        base = reverse("viewlinks:dicomweb:studies", kwargs={"token": token}).removesuffix("/studies")
        context["order"] = content.order.summary
        context["viewer_config"] = viewer_config(
            dicomweb=base,
            studies=study_entries(content.order.studies),
            priors=prior_entries(content.priors),
            documents=document_entries(content.documents, _document_url(token, chosen)),
        )
    response = render_page(request, "sharing/view_links/page.html", context)
    add_never_cache_headers(response)
    return response


def _chosen(request: HttpRequest, access: ViewLinkAccess) -> UUID | None:
    wanted = request.GET.get("order", "")
    for order in access.orders:
        if str(order.id) == wanted:
            return order.id
    return access.orders[0].id if access.orders else None


def _document_url(token: str, order_id: UUID) -> Callable[[Document], str]:
    def url(document: Document) -> str:
        return reverse("viewlinks:document", kwargs={"token": token, "order_id": order_id, "document_id": document.id})

    return url


@require_safe
def link_document(request: HttpRequest, token: str, order_id: UUID, document_id: UUID) -> HttpResponseBase:
    """A document of one of the link's orders, shown in the browser (never as a download),
    read as the link's maker within the link's orders (another order's is ``NotFound``). The
    link is checked (address, expiry, revocation) on every request, a video's range requests
    included. The read is audited by ``open_document`` (once per document within a few
    minutes), as the maker's."""
    access = _open(request, token, ViewLinkUse.IMAGES)
    if access.refusal is not None:
        return _refused(request, access.refusal)
    assert isinstance(access.actor, User)
    with only_orders(access.order_ids):
        document, handle = get_api().open_document(actor=access.actor, order_id=order_id, document_id=document_id)
    response = file_response(
        request, handle, as_attachment=False, filename=document.name, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = INLINE_CSP
    add_never_cache_headers(response)
    return response
