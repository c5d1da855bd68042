"""Creating, renaming, moving and deleting folders. GET shows the form (or, for delete, what
will happen); POST does it and goes to the folder, or shows the form again with the
service's messages next to the fields and what was typed kept. In a folder shared with the
user with the right to edit, they may also create sub-folders and rename the folders inside
it; moving and deleting stay the owner's."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from folders.forms import FolderForm, MoveFolderForm, NewFolderForm
from portal.access import AuthedRequest
from portal.forms.service import show_errors
from postdicom import get_api
from postdicom.errors import InvalidInput, NotFound
from postdicom.types import Capability, Folder

_NOT_YOURS = gettext_lazy("Choose one of your folders.")


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value or "")
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
@login_required
def folder_create(request: AuthedRequest) -> HttpResponse:
    """A new folder at the top level or inside another (``?parent=<id>`` preselects it)."""
    api = get_api()
    tree = api.folder_tree(actor=request.user, with_counts=False)
    parent = _uuid(request.POST.get("parent") if request.method == "POST" else request.GET.get("parent"))
    # A parent that is not the user's own: a folder shared with them that they may edit.
    shared_parent = _shared_parent(request, parent) if parent is not None and not tree.get(parent) else None
    initial = {"parent": parent if parent is not None and (tree.get(parent) or shared_parent) else None}
    form = NewFolderForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = api.create_folder(
                actor=request.user, name=data["name"], parent_id=data["parent"], description=data["description"]
            )
        except InvalidInput as error:
            show_errors(form, error, fields={"parent_id": "parent"})
        except NotFound:
            form.add_error("parent", _NOT_YOURS)
        else:
            messages.success(request, _("The folder “%(name)s” is ready.") % {"name": created.path_label})
            return redirect("folders:detail", folder_id=created.id)
    context = {"section": "folders", "form": form, "tree": tree, "shared_parent": shared_parent}
    return render(request, "folders/create.html", context)


def _shared_parent(request: AuthedRequest, folder_id: UUID) -> Folder | None:
    """The folder shared with the user that new folders go into, when they may edit it
    (None when it is not shared with them: the form says so; 403 when view only)."""
    api = get_api()
    if Capability.GET_SHARED_FOLDER not in api.capabilities:
        return None
    try:
        listing = api.get_shared_folder(actor=request.user, folder_id=folder_id)
    except NotFound:
        return None
    if not listing.folder.rights.can_add_sub_folders:
        raise PermissionDenied(_("This folder is shared with you to view only."))
    return listing.folder


def _renamable(request: AuthedRequest, folder_id: UUID) -> Folder:
    """The user's folder, or a folder inside one shared with them that they may edit (403
    for the shared folder itself or a view-only share; 404 otherwise)."""
    api = get_api()
    try:
        return api.get_folder(actor=request.user, folder_id=folder_id)
    except NotFound:
        if Capability.GET_SHARED_FOLDER not in api.capabilities:
            raise
    listing = api.get_shared_folder(actor=request.user, folder_id=folder_id)
    if not listing.folder.rights.can_rename:
        raise PermissionDenied(_("Only the owner can rename this folder."))
    return listing.folder


@require_http_methods(["GET", "POST"])
@login_required
def folder_edit(request: AuthedRequest, folder_id: UUID) -> HttpResponse:
    """Rename the folder or change its description."""
    api = get_api()
    folder = _renamable(request, folder_id)
    form = FolderForm(request.POST if request.method == "POST" else None, initial=FolderForm.initial_for(folder))
    if request.method == "POST" and form.is_valid():
        try:
            api.update_folder(
                actor=request.user,
                folder_id=folder_id,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except InvalidInput as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("folders:detail", folder_id=folder_id)
    return render(request, "folders/edit.html", {"section": "folders", "form": form, "folder": folder})


@require_http_methods(["GET", "POST"])
@login_required
def folder_move(request: AuthedRequest, folder_id: UUID) -> HttpResponse:
    """Move the folder, with its sub-folders, under another folder or to the top level."""
    api = get_api()
    folder = api.get_folder(actor=request.user, folder_id=folder_id)
    tree = api.folder_tree(actor=request.user, with_counts=False)
    form = MoveFolderForm(request.POST if request.method == "POST" else None, initial={"parent": folder.parent_id})
    if request.method == "POST" and form.is_valid():
        try:
            moved = api.move_folder(actor=request.user, folder_id=folder_id, parent_id=form.cleaned_data["parent"])
        except InvalidInput as error:
            show_errors(form, error, fields={"parent_id": "parent"})
        except NotFound:
            form.add_error("parent", _NOT_YOURS)
        else:
            messages.success(request, _("The folder is now “%(path)s”.") % {"path": moved.path_label})
            return redirect("folders:detail", folder_id=folder_id)
    context = {
        "section": "folders",
        "form": form,
        "folder": folder,
        "tree": tree,
        # itself and its sub-folders are not offered (the service refuses them too)
        "excluded": tree.subtree_ids(folder.id),
    }
    return render(request, "folders/move.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def folder_delete(request: AuthedRequest, folder_id: UUID) -> HttpResponse:
    """Say what deleting will do (sub-folders go, orders stay), then do it."""
    api = get_api()
    folder = api.get_folder(actor=request.user, folder_id=folder_id)
    if request.method == "POST":
        api.delete_folder(actor=request.user, folder_id=folder_id)
        message = ngettext(
            "“%(name)s” is deleted, with its %(n)d sub-folder. Its orders are still in the order list.",
            "“%(name)s” is deleted, with its %(n)d sub-folders. Its orders are still in the order list.",
            folder.all_sub_folder_count,
        ) % {"name": folder.name, "n": folder.all_sub_folder_count}
        messages.success(request, message)
        if folder.parent_id is not None:
            return redirect("folders:detail", folder_id=folder.parent_id)
        return redirect("folders:tree")
    return render(request, "folders/delete.html", {"section": "folders", "folder": folder})
