"""The signed-in user's own password pages, with their changes in the audit trail."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.middleware import client_address
from portal.signals import record_authentication
from portal.tasks import send_password_reset
from portal.throttle import client_subject, try_within, uncount, within_limit
from postdicom.busy import service_away

logger = logging.getLogger(__name__)


def _record(request: Any, user: Any, event: str) -> None:
    """The change, in the audit trail as a sign-in event (not on a backend without one: the
    password is the portal's, and is changed all the same)."""
    record_authentication(request, user.get_username(), user, event)


#: Failed sign-ins on the sign-in page, counted per client (``SignInView``).
SIGN_IN_FAILURES = "sign-in-failures"


class SignInView(auth_views.LoginView):
    """Django's sign-in page, with a budget of failed sign-ins per client in front of it.

    django-axes locks a user name at one address after a few wrong passwords; it never stops
    one address trying a few passwords on each of many user names. So every sign-in is also
    counted against the client's address (an IPv6 client's /64), before its password is
    checked, and given back when it succeeds: past ``RAYPORT_LOGIN_FAILURES_PER_CLIENT``
    failures in the cool-off window (``RAYPORT_LOGIN_COOLOFF_MINUTES``), the address gets the
    page again with a 429 and how long to wait, with no password checked (a right one
    included). The budget is wide: a whole clinic often signs in through one address. While the
    cache cannot be reached, sign-ins go on without it (axes' lockout still applies)."""

    redirect_authenticated_user = True

    def post(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        subject = client_subject(client_address(request) or "")
        window = round(float(settings.AXES_COOLOFF_TIME) * 3600)
        try:
            wait = try_within(
                SIGN_IN_FAILURES, subject, limit=settings.RAYPORT_LOGIN_FAILURES_PER_CLIENT, window_seconds=window
            )
        except Exception as error:
            if service_away(error) is None:
                raise
            # The cache is gone for the moment: sign-ins go on under axes' lockout per user
            # (in the database) alone, rather than nobody signing in until it is back.
            logger.warning("Sign-in without the per-client budget: %s", error)
            return super().post(request, *args, **kwargs)
        if wait:
            return self._paused(request, wait)
        try:
            response = super().post(request, *args, **kwargs)
        except BaseException:
            uncount(SIGN_IN_FAILURES, subject)  # no answer on the password (the database went away…)
            raise
        if request.user.is_authenticated:
            uncount(SIGN_IN_FAILURES, subject)
        return response

    def _paused(self, request: Any, seconds: int) -> HttpResponse:
        """The page again, the user name kept, the form unchecked (checking it would check the
        password), with how long to wait."""
        minutes = max(1, -(-seconds // 60))
        form = self.get_form_class()(request, initial={"username": request.POST.get("username", "")})
        paused = ngettext(
            "Too many failed sign-ins from your network. Wait %(minutes)d minute and try again.",
            "Too many failed sign-ins from your network. Wait %(minutes)d minutes and try again.",
            minutes,
        ) % {"minutes": minutes}
        response = self.render_to_response(self.get_context_data(form=form, paused=paused), status=429)
        response["Retry-After"] = str(seconds)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page, plus an ``auth.password_changed`` event."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        _record(self.request, form.user, "password_changed")
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's page, plus an ``auth.password_reset`` event when the new password is saved."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        _record(self.request, form.user, "password_reset")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's page, with two changes. The e-mail goes from the worker (``send_password_reset``
    looks the address up there), so the page does the same work for a known and an unknown
    address and answers both with the same page. And requests are limited per address and
    per client (``RAYPORT_PASSWORD_RESETS_PER_ADDRESS`` / ``_PER_CLIENT`` an hour), counted
    for every address alike so that the limit tells nothing about which addresses exist."""

    def form_valid(self, form: Any) -> HttpResponse:
        email = form.cleaned_data["email"]
        hour = 3600
        for_address = within_limit(
            "password-reset-address", email, limit=settings.RAYPORT_PASSWORD_RESETS_PER_ADDRESS, window_seconds=hour
        )
        for_client = within_limit(
            "password-reset-client",
            client_address(self.request) or "",
            limit=settings.RAYPORT_PASSWORD_RESETS_PER_CLIENT,
            window_seconds=hour,
        )
        if not (for_address and for_client):
            form.add_error(
                None,
                _(
                    "Too many requests for a new password. Wait an hour and try again; "
                    "a link you already received keeps working for two hours."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        task = {
            "email": email,
            "domain": self.request.get_host(),
            "use_https": self.request.is_secure(),
            "language": translation.get_language(),
        }
        transaction.on_commit(lambda: send_password_reset.delay(**task))
        return HttpResponseRedirect(self.get_success_url())
