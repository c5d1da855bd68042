"""Access helpers for views: who is asking, and may they open this page at all.

The service layer decides what each user may see and do; these helpers only give pages an
early, clear answer (administration pages: 403 for everyone but administrators).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django_htmx.middleware import HtmxDetails

from postdicom import get_api
from postdicom.types import Role, UserInfo

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)

_CACHE_ATTR = "_rayport_me"


class AuthedRequest(HttpRequest):
    """A request behind ``login_required``: ``user`` is a real user."""

    user: User
    htmx: HtmxDetails


def me(request: HttpRequest) -> UserInfo:
    """The signed-in user as the service layer sees them, once per request."""
    cached: UserInfo | None = getattr(request, _CACHE_ATTR, None)
    if cached is None:
        cached = get_api().current_user(actor=request.user)  # type: ignore[arg-type]  # signed in
        setattr(request, _CACHE_ATTR, cached)
    return cached


def admin_required(view: Callable[..., R]) -> Callable[..., HttpResponseBase]:
    """Signed-in administrators only; other signed-in users get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        if me(request).role is not Role.ADMINISTRATOR:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
