"""What every DICOMweb read shares: sign-in check (``postdicom.server.auth``), errors as JSON
(``postdicom.server.problems``), caching validators."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.http.response import HttpResponseBase
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


class AuthedRequest(HttpRequest):
    """A request that passed ``api_view``'s check (``postdicom.server.auth``): ``user`` is
    the active user it acts as."""

    user: User


class NotAcceptable(Exception):
    """Nothing the client's ``Accept`` allows can be produced (406)."""


def dicomweb_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A read: GET/HEAD only (405 otherwise), the caller authenticated (session, Basic or API
    key: ``api_view``), errors as JSON, 406 for an ``Accept`` that cannot be met."""

    @api_view(("GET", "HEAD"))
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotAcceptable:
            return problem(406, _("The images cannot be sent in the format asked for."))

    return wrapper


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
