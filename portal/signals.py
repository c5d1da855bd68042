"""Sign-ins, sign-outs and failed sign-ins go to the audit trail through the service layer."""

from __future__ import annotations

import time
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from portal.middleware import SESSION_STARTED, client_address
from postdicom import get_api
from postdicom.context import calling_from
from postdicom.types import Capability


def record_authentication(request: HttpRequest | None, username: str, user: Any, event: str) -> None:
    """Record a sign-in event (``record_authentication``) from ``request``'s client, when the
    backend keeps an audit trail of its own."""
    api = get_api()
    if Capability.RECORD_AUTHENTICATION not in api.capabilities:
        return  # a backend without an audit trail of its own (the cloud backend's server audits its calls)
    with calling_from(client_address(request) if request is not None else None):
        api.record_authentication(username=username, user=user, event=event)


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_STARTED] = time.time()
    record_authentication(request, user.get_username(), user, "login")


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_authentication(request, user.get_username(), user, "logout")


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))
    known = get_user_model().objects.filter(username=username).first()
    record_authentication(request, username, known, "login_failed")


@receiver(user_locked_out)
def _locked_out(sender: Any, request: HttpRequest | None, username: str | None = None, **kwargs: Any) -> None:
    record_authentication(request, username or "", None, "locked_out")
