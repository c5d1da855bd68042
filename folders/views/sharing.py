"""Sharing a folder with colleagues and user groups: the share page (choose recipients,
rights and last day; the folder's current shares beside it) and revoking a share (a
confirmation page, then POST). The owner manages every share of the folder; a recipient
allowed to re-share manages the shares they made."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from folders.forms import ShareFolderForm
from portal.access import AuthedRequest
from portal.forms.service import show_errors
from portal.rendering import redirect_back
from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.types import Share


@require_http_methods(["GET", "POST"])
@login_required
def folder_share(request: AuthedRequest, folder_id: UUID) -> HttpResponse:
    """Share the folder; the service says who may (404 for strangers, 403 for recipients
    without the right to re-share)."""
    api = get_api()
    options = api.folder_share_options(actor=request.user, folder_id=folder_id)
    form = ShareFolderForm(request.POST if request.method == "POST" else None, options=options)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = api.share_folder(
                actor=request.user,
                folder_id=folder_id,
                audience=form.audience(),
                expires=data["expires"],
                may_edit=data["may_edit"],
                may_reshare=data["may_reshare"],
                includes_restricted_orders=data["includes_restricted_orders"],
            )
        except InvalidInput as error:
            show_errors(form, error)
        else:
            names = ", ".join(share.recipient_name for share in made)
            messages.success(
                request,
                ngettext("“%(folder)s” is shared with %(names)s.", "“%(folder)s” is shared with %(names)s.", len(made))
                % {"folder": options.folder.name, "names": names},
            )
            return redirect("folders:share", folder_id=folder_id)
    context = {
        "section": "folders",
        "folder": options.folder,
        "options": options,
        "form": form,
        "shares": api.folder_shares(actor=request.user, folder_id=folder_id),
    }
    return render(request, "folders/share.html", context)


def _share_of(request: AuthedRequest, folder_id: UUID, share_id: UUID) -> Share:
    """A share of the folder that the user manages; 404 otherwise."""
    for share in get_api().folder_shares(actor=request.user, folder_id=folder_id):
        if share.id == share_id:
            return share
    raise Http404(_("No such share."))


@require_http_methods(["GET", "POST"])
@login_required
def share_revoke(request: AuthedRequest, folder_id: UUID, share_id: UUID) -> HttpResponse:
    """Ask, then end the share now (and every share re-shared through it)."""
    share = _share_of(request, folder_id, share_id)
    if request.method == "POST":
        get_api().revoke_folder_share(actor=request.user, share_id=share_id)
        messages.success(
            request,
            _("%(name)s no longer has “%(folder)s”.") % {"name": share.recipient_name, "folder": share.folder.name}
            if share.folder is not None
            else _("The share is revoked."),
        )
        return redirect_back(request, reverse("folders:share", args=[folder_id]))
    return render(request, "folders/revoke_share.html", {"section": "folders", "share": share, "folder_id": folder_id})
