"""What every DICOMweb view shares: sign-in check, errors as JSON, caching validators.

Errors are ``{"error": message}`` with the message also in ``X-Error-Reason`` (as PostDICOM
answers), never a login redirect or an HTML page: the callers are scripts and the viewer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from postdicom import types as t
from postdicom.errors import Forbidden, InvalidInput, NotFound, PostDicomError, Unavailable, Unsupported

#: Collections (a study, a series, search results) can grow: revalidate every time.
REVALIDATE = "private, no-cache"
#: A stored instance never changes (a SOP Instance UID is stored once), so its file, frames
#: and pictures may be reused for a while without asking; ``private``: never in a shared cache.
REUSE = "private, max-age=300"


class AuthedRequest(HttpRequest):
    """A request that passed ``dicomweb_view``'s sign-in check: ``user`` is a real user."""

    user: User


class NotAcceptable(Exception):
    """Nothing the client's ``Accept`` allows can be produced (406); ``message`` says why
    when there is more to say than that (an image that cannot be decoded here)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


def problem(status: int, message: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps({"error": message}), status=status, content_type="application/json; charset=utf-8"
    )
    response["X-Error-Reason"] = " ".join(message.split())[:200]
    response["Cache-Control"] = "no-store"
    return response


_STATUS: tuple[tuple[type[PostDicomError], int], ...] = (
    (NotFound, 404),
    (Forbidden, 403),
    (InvalidInput, 400),
    (Unsupported, 501),
    (Unavailable, 503),
)


def dicomweb_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """GET/HEAD only (405 otherwise), 401 for anonymous callers, service errors as JSON."""

    @require_safe
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            response = problem(401, _("Sign in to see images."))
            response["WWW-Authenticate"] = 'Cookie realm="Rayport"'
            return response
        try:
            return view(request, *args, **kwargs)
        except NotAcceptable as refusal:
            return problem(406, refusal.message or _("The images cannot be sent in the format asked for."))
        except PostDicomError as error:
            status = next((code for kind, code in _STATUS if isinstance(error, kind)), 500)
            return problem(status, error.message)

    return wrapper


#: The URL arguments of the DICOMweb paths themselves; any other captured argument (a token)
#: belongs to the prefix the read side is mounted under.
_OWN_ARGUMENTS = frozenset({"study", "series", "instance", "frames"})


def dicomweb_url(request: HttpRequest, name: str, **uids: str) -> str:
    """The absolute URL of the DICOMweb resource ``name`` under the mount the request came in
    through: ``/dicomweb/…``, or a token's scoped mount (``postdicom.server.scoped``) with the
    same token, so that a scoped answer never points at the signed-in mount."""
    match = request.resolver_match
    namespace = match.namespace if match is not None and match.namespace else "dicomweb"
    prefix = {k: v for k, v in match.kwargs.items() if k not in _OWN_ARGUMENTS} if match is not None else {}
    return request.build_absolute_uri(reverse(f"{namespace}:{name}", kwargs={**prefix, **uids}))


def entity_tag(kind: str, instances: Iterable[t.DicomInstance], *variant: object) -> str:
    """A strong validator for a response made from ``instances`` (their content hashes) in
    the form ``kind`` with ``variant`` parameters."""
    digest = hashlib.sha256(kind.encode())
    for instance in instances:
        digest.update(f"|{instance.sop_instance_uid}:{instance.sha256 or instance.size}".encode())
    for part in variant:
        digest.update(f"|{part}".encode())
    return f'"{digest.hexdigest()[:40]}"'


def conditional(
    request: HttpRequest,
    stored: t.StoredInstances,
    etag: str,
    cache_control: str,
    respond: Callable[[], HttpResponseBase],
) -> HttpResponseBase:
    """304 when the client's copy (``If-None-Match`` / ``If-Modified-Since``) is current, else
    ``respond()`` (so nothing is read or decoded for a 304); both carry the validators."""
    modified = stored.updated_at
    unchanged = get_conditional_response(
        request, etag=etag, last_modified=int(modified.timestamp()) if modified else None
    )
    response = respond() if unchanged is None else unchanged
    validators(response, etag, stored, cache_control)
    return response


def validators(response: HttpResponseBase, etag: str, stored: t.StoredInstances, cache_control: str) -> None:
    response["ETag"] = etag
    if stored.updated_at is not None:
        response["Last-Modified"] = http_date(stored.updated_at.timestamp())
    response["Cache-Control"] = cache_control
    response["Vary"] = "Accept, Cookie"
