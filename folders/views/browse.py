"""Browsing folders: the folders home (top level and search), one folder's page (its tree,
sub-folders and orders, with the order list's filters; a folder shared with the user shows in
read-only or edit mode, as its share allows), and the sub-folders of a branch."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_safe

from folders.forms import FolderSearchForm, NewFolderForm
from folders.shared import editable, sections, shared_lists
from folders.sidebar import closed_nodes, side_tree
from orders.table import OrderTable, TableOptions, order_table
from portal.access import AuthedRequest
from portal.rendering import render_page
from postdicom import get_api
from postdicom.types import Capability, Folder, FolderTree


def shared_sections(request: AuthedRequest) -> dict[str, Any]:
    """The folders shared with the user ("Shared with me") and with the user's groups
    ("Shared with my groups"), each with its owner, what the share allows and its last day."""
    return sections(shared_lists(request))


@require_safe
@login_required
def folder_home(request: AuthedRequest) -> HttpResponse:
    """The top-level folders, a search by name at any depth, and a quick "new folder" form;
    htmx gets only the results as the search changes."""
    api = get_api()
    search = FolderSearchForm(request.GET)
    text = search.cleaned_data["q"].strip() if search.is_valid() else ""
    tree = api.folder_tree(actor=request.user)
    context = {
        "section": "folders",
        "on_home": True,
        "tree": tree,
        "nodes": side_tree(tree),
        "search": search,
        "found": api.search_folders(actor=request.user, text=text) if text else None,
        "new_form": NewFolderForm(),
        **shared_sections(request),
    }
    return render_page(request, "folders/home.html", context, fragment="results")


def _order_table(request: AuthedRequest, folder: Folder, *, may_remove: bool, may_file: bool) -> OrderTable:
    """The folder's orders in the order list's table, with its filters and bulk actions."""
    options = TableOptions(
        list_url=request.path,
        narrow=lambda query: replace(query, folder_id=folder.id),
        folder=folder,
        may_remove=may_remove,
        may_file=may_file,
        thumbnails=False,
    )
    return order_table(request, options)


@require_safe
@login_required
def folder_detail(request: AuthedRequest, folder_id: UUID) -> HttpResponse:
    """One folder: the tree beside it, its sub-folders, and its orders with the order list's
    filters; htmx gets only the orders as the filters change."""
    api = get_api()
    # The orders alone (htmx) need only to know whose folder it is, not the counts.
    tree = api.folder_tree(actor=request.user, with_counts=not request.htmx)
    # The tree holds the actor's folders with their counts; a folder that is not in it is
    # shared with them, or someone else's or gone, and the service says so (NotFound: 404).
    folder = tree.get(folder_id)
    if folder is None:
        return _shared_folder_detail(request, folder_id, tree)
    shares = () if request.htmx or Capability.FOLDER_SHARES not in api.capabilities else None
    context = {
        "section": "folders",
        "folder": folder,
        "tree": tree,
        "nodes": side_tree(tree, folder),
        "sub_folders": tree.children(folder.id),
        # "Add to folders": this folder at least (the choices load when it is opened)
        "table": _order_table(request, folder, may_remove=folder.rights.can_file_orders, may_file=True),
        **shared_sections(request),
        "shares": api.folder_shares(actor=request.user, folder_id=folder.id) if shares is None else shares,
    }
    return render_page(request, "folders/detail.html", context, fragment="results")


def _shared_folder_detail(request: AuthedRequest, folder_id: UUID, tree: FolderTree) -> HttpResponse:
    """A folder someone shared with the user (or one below it): its sub-folders and the
    orders the user may see in it, with the actions ``folder.rights`` (the service) allows."""
    listing = get_api().get_shared_folder(actor=request.user, folder_id=folder_id)
    folder, access = listing.folder, listing.access
    shared = shared_lists(request)
    targets = editable(shared)
    context = {
        "section": "folders",
        "folder": folder,
        "access": access,
        "current_shared": access.top.id,
        "tree": tree,
        "nodes": side_tree(tree),
        "sub_folders": listing.sub_folders,
        # "Remove from this folder" when editing; "Add to folders" when there is somewhere to file
        "table": _order_table(
            request, folder, may_remove=folder.rights.can_file_orders, may_file=bool(tree) or bool(targets)
        ),
        **sections(shared),
    }
    return render_page(request, "folders/detail.html", context, fragment="results")


@require_safe
@login_required
def folder_children(request: AuthedRequest, folder_id: UUID) -> HttpResponse:
    """The sub-folders of one folder as tree branches (htmx opens a branch with them); a
    small page of their own without JavaScript."""
    listing = get_api().list_folders(actor=request.user, parent_id=folder_id)
    context = {"section": "folders", "folder": listing.folder, "nodes": closed_nodes(listing.sub_folders)}
    return render_page(request, "folders/children.html", context, fragment="nodes")
