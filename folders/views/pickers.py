"""The folder choices of the order pages, loaded by htmx when a picker is first used: a user
may have thousands of folders, and two selects listing all of them were most of the bytes of
every order list and folder page (docs/decisions.md)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from folders.forms import FolderOptionsForm
from folders.shared import editable, shared_lists
from portal.access import AuthedRequest
from postdicom import get_api
from postdicom.types import Capability, FolderTree


@require_safe
@login_required
def folder_options(request: AuthedRequest) -> HttpResponse:
    """The ``<option>`` elements of one folder picker, for htmx to put in its select:
    ``picker=filter``, the order list's folder filter ("Any" and the user's folders, with
    ``folder`` selected); ``picker=bulk``, "Add to folders" (the user's folders and the
    shared folders they may edit). 400 for any other parameters."""
    form = FolderOptionsForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Unknown folder list."), content_type="text/plain; charset=utf-8")
    api = get_api()
    picker = form.cleaned_data["picker"]
    context = {
        # without counts: names and nesting are all a select shows
        "tree": api.folder_tree(actor=request.user, with_counts=False)
        if Capability.FOLDER_TREE in api.capabilities
        else FolderTree(),
        "selected": form.cleaned_data["folder"],
        # the search filters by the user's own folders only; shared ones are filing targets
        "shared_targets": editable(shared_lists(request)) if picker == FolderOptionsForm.BULK else (),
    }
    return render(request, f"folders/options.html#{picker}", context)
