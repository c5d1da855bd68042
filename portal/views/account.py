"""The signed-in user's own password pages, with their changes in the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from portal.middleware import client_address
from postdicom import get_api
from postdicom.context import calling_from


def _record(request: Any, user: Any, event: str) -> None:
    with calling_from(client_address(request)):
        get_api().record_authentication(username=user.get_username(), user=user, event=event)


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
