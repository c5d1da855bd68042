"""API key administration: list, create (the secret shown once), revoke after a confirmation.

The new secret is rendered in the answer to the POST that made it, never stored anywhere (not
in the session, not in a message) and never cached (``Cache-Control: no-store``); reloading
that page asks the browser to send the form again, which would make a second key. See
docs/decisions.md, "API keys".
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from portal.access import AuthedRequest, admin_required
from portal.forms.api_keys import API_KEY_FIELDS, ApiKeyForm
from portal.forms.service import show_errors
from postdicom import get_api
from postdicom.errors import InvalidInput, NotFound
from postdicom.types import ApiKey

_TAB = {"section": "admin", "tab": "api_keys"}


def _key(request: AuthedRequest, key_id: UUID) -> ApiKey:
    for key in get_api().list_api_keys(actor=request.user):
        if key.id == key_id:
            return key
    raise NotFound(_("No such API key."))


@require_safe
@admin_required
def api_key_list(request: AuthedRequest) -> HttpResponse:
    keys = get_api().list_api_keys(actor=request.user)
    return render(request, "portal/api_keys/list.html", {**_TAB, "keys": keys})


@require_http_methods(["GET", "POST"])
@admin_required
def api_key_create(request: AuthedRequest) -> HttpResponse:
    """GET shows the form; a valid POST makes the key and shows its secret, this once."""
    api = get_api()
    users = api.account(actor=request.user).users  # every active user, unpaged
    form = ApiKeyForm(request.POST if request.method == "POST" else None, users=users)
    if form.is_bound and form.is_valid():
        try:
            key, secret = api.create_api_key(
                actor=request.user, name=form.cleaned_data["name"], user_id=form.cleaned_data["user"]
            )
        except InvalidInput as error:
            show_errors(form, error, fields=API_KEY_FIELDS)
        else:
            response = render(request, "portal/api_keys/created.html", {**_TAB, "key": key, "secret": secret})
            add_never_cache_headers(response)  # no-store: the secret stays out of every cache
            return response
    return render(request, "portal/api_keys/form.html", {**_TAB, "form": form})


@require_http_methods(["GET", "POST"])
@admin_required
def api_key_revoke(request: AuthedRequest, key_id: UUID) -> HttpResponse:
    """GET asks to confirm; POST revokes (at once: the next call with the key is refused)."""
    key = _key(request, key_id)
    if request.method == "POST":
        get_api().revoke_api_key(actor=request.user, key_id=key_id)
        messages.success(request, _("API key “%(name)s” was revoked.") % {"name": key.name})
        return redirect("portal:api_key_list")
    return render(request, "portal/api_keys/revoke.html", {**_TAB, "subject": key})
