"""An order's thumbnail: the small picture of one of its studies, as stored (made once by the
service, never per request). The order list links it with ``loading="lazy"``, so the list
itself never waits for a picture; an order without a picture gets a neutral placeholder."""

from __future__ import annotations

import re
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_safe

from portal.access import AuthedRequest
from postdicom import get_api
from postdicom.errors import NotFound

_UID = re.compile(r"[0-9.]{1,64}")

#: A grey frame with a stylised image: what an order without a picture shows (no text, so the
#: same in every language; the page's alt text says it).
PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="160" viewBox="0 0 160 160">'
    '<rect width="160" height="160" rx="10" fill="#eef1f4"/>'
    '<rect x="40" y="48" width="80" height="64" rx="6" fill="none" stroke="#b6c0ca" stroke-width="5"/>'
    '<circle cx="62" cy="70" r="7" fill="#b6c0ca"/>'
    '<path d="M46 106l24-22 14 12 12-10 20 20z" fill="#b6c0ca"/></svg>'
)


def _placeholder() -> HttpResponse:
    response = HttpResponse(PLACEHOLDER, content_type="image/svg+xml")
    patch_cache_control(response, private=True, no_cache=True)  # images may arrive any time
    return response


@require_safe
@login_required
def order_thumbnail(request: AuthedRequest, order_id: UUID) -> HttpResponseBase:
    """``?study=<Study Instance UID>`` for one study of the order, else its first with images."""
    study = request.GET.get("study") or None
    if study is not None and not _UID.fullmatch(study):
        raise NotFound("No such study in this order.")
    thumbnail = get_api().study_thumbnail(actor=request.user, order_id=order_id, study_uid=study)
    if thumbnail is None:
        return _placeholder()
    unchanged = get_conditional_response(request, etag=thumbnail.etag)
    if unchanged is not None:
        response: HttpResponseBase = unchanged
    else:
        try:
            response = FileResponse(thumbnail.open(), content_type=thumbnail.content_type)
        except NotFound:
            return _placeholder()
    response["ETag"] = thumbnail.etag
    # Made once and never changed: the browser may reuse it a while without asking.
    patch_cache_control(response, private=True, max_age=3600)
    response["Vary"] = "Cookie"
    return response
