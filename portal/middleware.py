"""Request-wide rules: session lifetime and the client address for the audit trail."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from postdicom.context import calling_from

SESSION_STARTED = "rayport_session_started"
SESSION_TOUCHED = "rayport_session_touched"
#: A signed-in session is saved (its idle deadline pushed back) at most this often: a viewer
#: sends hundreds of image requests a minute, and a save each is a database write each.
TOUCH_SECONDS = 60


def client_address(request: HttpRequest) -> str | None:
    """The client's IP; behind ``RAYPORT_PROXY_COUNT`` proxies, taken from X-Forwarded-For."""
    proxies: int = settings.AXES_IPWARE_PROXY_COUNT
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class SessionLifetimeMiddleware:
    """Ends a signed-in session ``SESSION_MAX_HOURS`` after login, however active it was, and
    tells the user when their session has ended (also when it lapsed after being idle).

    The idle limit is Django's own expiry (``SESSION_COOKIE_AGE``), pushed back by saving the
    session on a request at least ``TOUCH_SECONDS`` after the last save (not on every request):
    a session thus ends between a minute before and the moment the idle limit has passed since
    the last request, never later. A lapsed session shows up here as a session cookie the
    server no longer knows. An htmx
    request that is sent to the sign-in page gets ``HX-Redirect``, so the whole page goes
    there instead of the sign-in form landing inside a fragment.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.setdefault(SESSION_STARTED, time.time())
            now = time.time()
            if now - float(started) > settings.SESSION_MAX_HOURS * 3600:
                logout(request)
                messages.info(request, session_ended_message())
            elif now - float(request.session.get(SESSION_TOUCHED, 0)) >= TOUCH_SECONDS:
                request.session[SESSION_TOUCHED] = now  # modified: saved with a new expiry
        elif _session_lapsed(request):
            messages.info(request, session_ended_message())
        response = self.get_response(request)
        if request.headers.get("HX-Request") == "true" and _is_sign_in_redirect(response):
            return HttpResponseClientRedirect(response["Location"])
        return response


def session_ended_message() -> str:
    return _("Your session has ended. Please sign in again.")


def _session_lapsed(request: HttpRequest) -> bool:
    """The browser sent a session cookie, but the server has no such session any more."""
    return bool(request.COOKIES.get(settings.SESSION_COOKIE_NAME)) and request.session.session_key is None


def _is_sign_in_redirect(response: HttpResponse) -> bool:
    if response.status_code != 302:
        return False
    return urlsplit(response["Location"]).path == urlsplit(resolve_url(settings.LOGIN_URL)).path


class RequestContextMiddleware:
    """Makes the client's address known to the service layer for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with calling_from(client_address(request), site=lambda: request.build_absolute_uri("/")):
            return self.get_response(request)
