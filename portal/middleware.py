"""Request-wide rules: session lifetime and the client address for the audit trail."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from postdicom.context import calling_from

SESSION_STARTED = "rayport_session_started"


def client_address(request: HttpRequest) -> str | None:
    """The client's IP; behind ``RAYPORT_PROXY_COUNT`` proxies, taken from X-Forwarded-For."""
    proxies: int = settings.AXES_IPWARE_PROXY_COUNT
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class SessionLifetimeMiddleware:
    """Ends a signed-in session ``SESSION_MAX_HOURS`` after login, however active it was.

    The idle limit is Django's own: ``SESSION_COOKIE_AGE`` with ``SESSION_SAVE_EVERY_REQUEST``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.setdefault(SESSION_STARTED, time.time())
            if time.time() - float(started) > settings.SESSION_MAX_HOURS * 3600:
                logout(request)
                messages.info(request, _("Your session has ended. Please sign in again."))
        return self.get_response(request)


class RequestContextMiddleware:
    """Makes the client's address known to the service layer for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with calling_from(client_address(request)):
            return self.get_response(request)
