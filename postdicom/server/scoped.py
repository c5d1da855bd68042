"""The DICOMweb read side mounted under a token: a view link (``/v/<token>/dicomweb/``) or an
outside share (``/s/<token>/dicomweb/``) serves the same QIDO/WADO views as ``/dicomweb/``,
but each request acts as the user the token names and reaches only the orders it covers.

``scoped_patterns(resolve)`` gives the read paths of ``postdicom.server.urls`` (``READ_PATTERNS``:
never the store, the flat paths or the custom endpoints) wrapped so that
every request first calls ``resolve(request, token)``: it answers either the acting user and
the public ids of the orders the token covers, or a response (refused, expired…) sent as is.
The token is resolved on every request, so revoking or expiring it ends access at once (an
image the browser keeps is revalidated, never reused unasked: ``REVALIDATE``). The
view then runs as that user inside ``postdicom.context.only_orders``: whatever else the user
could see does not exist there, and nothing can be changed (only GET and HEAD are served).

Mount it with its own namespace; the URLs the views put in their answers (RetrieveURL,
BulkDataURI) follow the namespace the request came in through (``dicomweb_url``)::

    path("v/<str:token>/dicomweb/", include((scoped_patterns(resolve), "dicomweb"), namespace="view_dicomweb"))
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path
from django.views.decorators.http import require_safe

from postdicom.context import only_orders
from postdicom.server import urls as dicomweb_urls
from postdicom.server.http import REVALIDATE

#: ``resolve(request, token)``: the acting user and the orders the token covers, or an answer.
Resolve = Callable[[HttpRequest, str], "tuple[User, Collection[UUID]] | HttpResponseBase"]

#: The name of the URL argument that carries the token in the mount's prefix.
PREFIX_ARGUMENT = "token"


def scoped(view: Callable[..., HttpResponseBase], resolve: Resolve) -> Callable[..., HttpResponseBase]:
    """``view`` run as the token's user, narrowed to the token's orders; GET/HEAD only."""

    @require_safe
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        token = kwargs.pop(PREFIX_ARGUMENT)
        outcome = resolve(request, token)
        if isinstance(outcome, HttpResponseBase):
            return outcome
        user, order_ids = outcome
        request.user = user
        with only_orders(order_ids):
            # A streamed body reads only files already checked here; it calls no service.
            response = view(request, *args, **kwargs)
        if "max-age" in response.get("Cache-Control", ""):
            # An image is reused only after asking (a 304 costs no file read): a revoked or
            # expired token ends what the browser shows at once, its cached copies included.
            response["Cache-Control"] = REVALIDATE
        return response

    return wrapper


def scoped_patterns(resolve: Resolve) -> list[URLPattern]:
    """The DICOMweb read paths (same routes and names as ``/dicomweb/``), each wrapped by
    ``scoped``. Include them under a prefix that captures ``<str:token>``."""
    patterns = []
    for pattern in dicomweb_urls.READ_PATTERNS:
        assert isinstance(pattern, URLPattern)
        assert pattern.name is not None
        patterns.append(path(str(pattern.pattern), scoped(pattern.callback, resolve), name=pattern.name))
    return patterns
