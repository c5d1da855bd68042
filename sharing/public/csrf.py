"""Forgery protection for the public share pages, which Django's CSRF check cannot serve.

The share pages send ``Referrer-Policy: no-referrer`` (the link is the key: it must never
travel in a ``Referer``). Browsers then send ``Origin: null`` with a form's POST, and no
``Referer`` at all, so Django's check refuses every POST: a null origin is not the site's,
and over HTTPS a POST without a ``Referer`` is refused outright. The share views are therefore
``csrf_exempt`` and use this synchronizer token instead: a random value kept in the visitor's
session, put in the page (``<meta name="csrf-token">`` for scripts, a hidden field for forms)
and compared in constant time on every unsafe request. A forged request from another site
cannot read it; the session cookie (``SameSite=Lax``) is not even sent with one.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

SESSION_KEY = "rayport_share_csrf"
FIELD = "share_csrf"
HEADER = "X-CSRFToken"


def share_csrf_token(request: HttpRequest) -> str:
    """The visitor's token (made, and the session saved, on first use)."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def _sent(request: HttpRequest) -> str:
    header = request.headers.get(HEADER, "")
    if header or request.method != "POST":
        return header  # never read a PUT's body (uploads stream it) for a form field
    return request.POST.get(FIELD, "")


def share_csrf_protect(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Refuse (403, the portal's "form expired" page) an unsafe request without the visitor's
    token. A view that takes files sets its upload handlers before this reads the form."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            expected = request.session.get(SESSION_KEY)
            sent = _sent(request)
            if not isinstance(expected, str) or not sent or not hmac.compare_digest(sent, expected):
                raise PermissionDenied("share form token")
        return view(request, *args, **kwargs)

    return wrapper
