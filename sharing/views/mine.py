"""My shares: every share the user made (administrators: every share of the account, with
``?everyone=1``), one share's page with its access log, and changing, revoking and
e-mailing it again. The service decides who may: strangers get 404."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.access import AuthedRequest, me
from portal.forms.service import show_errors
from portal.rendering import render_page
from postdicom import get_api
from postdicom.errors import Forbidden, InvalidInput
from postdicom.types import PAGE_NUMBER_MAX, Role, ShareQuery
from sharing.forms import GENERATE, TYPE, ChangeShareForm


class _ListForm(forms.Form):
    everyone = forms.BooleanField(required=False)
    active = forms.BooleanField(required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=PAGE_NUMBER_MAX)


@require_http_methods(["GET"])
@login_required
def my_shares(request: AuthedRequest) -> HttpResponse:
    form = _ListForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    is_admin = me(request).role is Role.ADMINISTRATOR
    everyone = bool(data.get("everyone")) and is_admin
    query = ShareQuery(everyone=everyone, active_only=bool(data.get("active")), page=data.get("page") or 1)
    page = get_api().list_shares(actor=request.user, query=query)
    context = {"section": "shares", "page": page, "everyone": everyone, "is_admin": is_admin, "form": form}
    return render_page(request, "sharing/mine.html", context, fragment="list")


@require_http_methods(["GET"])
@login_required
def share_detail(request: AuthedRequest, share_id: UUID) -> HttpResponse:
    api = get_api()
    share = api.get_share(actor=request.user, share_id=share_id)
    log = api.share_access_log(actor=request.user, share_id=share_id) if share.kind.outside else ()
    context = {"section": "shares", "share": share, "log": log}
    return render_page(request, "sharing/detail.html", context)


def _initial(share_id: UUID, request: AuthedRequest) -> dict[str, object]:
    share = get_api().get_share(actor=request.user, share_id=share_id)
    return {"expires": share.expires, "downloadable": share.downloadable, "open_limit": share.open_limit}


@require_http_methods(["GET", "POST"])
@login_required
def share_change(request: AuthedRequest, share_id: UUID) -> HttpResponse:
    """Change the last day, downloads, open limit, or make a new password (shown once)."""
    api = get_api()
    share = api.get_share(actor=request.user, share_id=share_id)
    if not share.kind.outside:
        raise Forbidden(_("Change a share with colleagues on its folder's page."))
    form = ChangeShareForm(request.POST if request.method == "POST" else None, initial=_initial(share_id, request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = api.update_share(
                actor=request.user,
                share_id=share_id,
                expires=data["expires"],
                downloadable=data["downloadable"],
                open_limit=data["open_limit"],
                new_password=data["password"] if data["password_choice"] == TYPE else "",
                generate_password=data["password_choice"] == GENERATE,
            )
        except InvalidInput as error:
            show_errors(form, error, fields={"new_password": "password"})
        else:
            if changed.new_password:  # shown once, on this answer only
                response = render_page(request, "sharing/password.html", {"section": "shares", "share": changed})
                add_never_cache_headers(response)
                response["Cache-Control"] += ", no-store"
                return response
            messages.success(request, _("The share was changed."))
            return redirect("sharing:detail", share_id=share_id)
    context = {"section": "shares", "share": share, "form": form}
    return render_page(request, "sharing/change.html", context, status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
@login_required
def share_revoke(request: AuthedRequest, share_id: UUID) -> HttpResponse:
    """A confirmation page, then POST: the link stops working on its next request."""
    api = get_api()
    share = api.get_share(actor=request.user, share_id=share_id)
    if request.method == "POST":
        api.revoke_share(actor=request.user, share_id=share_id)
        messages.success(request, _("The share was revoked. Its link no longer works."))
        return redirect("sharing:detail", share_id=share_id)
    return render_page(request, "sharing/revoke.html", {"section": "shares", "share": share})


@require_http_methods(["POST"])
@login_required
def share_resend(request: AuthedRequest, share_id: UUID) -> HttpResponse:
    """E-mail the same link again (the password is not sent again)."""
    try:
        share = get_api().resend_share_email(actor=request.user, share_id=share_id)
    except (InvalidInput, Forbidden) as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The link is on its way to %(address)s again.") % {"address": share.email},
        )
    return redirect("sharing:detail", share_id=share_id)
