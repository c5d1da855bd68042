"""What every DICOMweb read shares: sign-in check (``postdicom.server.auth``), errors as JSON
(``postdicom.server.problems``), caching validators."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.server.auth import api_view
from postdicom.server.problems import problem

#: Collections (a study, a series, search results) can grow: revalidate every time.
REVALIDATE = "private, no-cache"
#: A stored instance never changes (a SOP Instance UID is stored once), so its file, frames
#: and pictures may be reused for a while without asking; ``private``: never in a shared cache.
REUSE = "private, max-age=300"


#: Django's own gzip (its checks of ``Accept-Encoding``, ``Vary``, weak ETags, streaming, and
#: its BREACH mitigation), asked for the JSON answers only, not as a middleware for every page.
_GZIP = GZipMiddleware(lambda request: HttpResponse())


def compressed(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """``response`` gzipped when the client accepts it. For DICOM JSON (searches, metadata):
    a series' metadata is about 1.4 KB of repetitive text an image, a tenth of that gzipped,
    and nginx does not compress what it proxies unless told to. Pictures and pixel data are
    sent as they are (already compressed, or not worth the CPU)."""
    return _GZIP.process_response(request, response)


class AuthedRequest(HttpRequest):
    """A request that passed ``api_view``'s check (``postdicom.server.auth``): ``user`` is
    the active user it acts as."""

    user: User


class NotAcceptable(Exception):
    """Nothing the client's ``Accept`` allows can be produced (406); ``message`` says why
    when there is more to say than that (an image that cannot be decoded here)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


def dicomweb_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A read: GET/HEAD only (405 otherwise), the caller authenticated (session, Basic or API
    key: ``api_view``), errors as JSON, 406 for an ``Accept`` that cannot be met."""

    @api_view(("GET", "HEAD"))
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotAcceptable as refusal:
            return problem(406, refusal.message or _("The images cannot be sent in the format asked for."))

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
