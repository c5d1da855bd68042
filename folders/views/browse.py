"""Browsing folders: the folders home (top level and search), one folder's page (its tree,
sub-folders and orders, with the order list's filters), and the sub-folders of a branch."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_safe

from folders.forms import FolderSearchForm, NewFolderForm
from folders.sidebar import closed_nodes, side_tree
from orders.views.listing import search_context
from portal.access import AuthedRequest
from portal.rendering import render_page
from postdicom import get_api
from postdicom.types import Folder


def shared_sections(request: AuthedRequest) -> dict[str, Any]:
    """Hook for the sharing issue: the folders shared with the user ("Shared with me") and
    with the user's groups ("Shared with my groups"), each with what the share allows, as
    the service will list them. Nothing can be shared yet, so both are empty and the pages
    say so."""
    return {"shared_with_me": (), "shared_with_my_groups": ()}


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


def _orders_context(request: AuthedRequest, folder: Folder) -> dict[str, Any]:
    """The folder's orders in the order list's table, with its filters and bulk actions."""
    return search_context(request, lambda query: replace(query, folder_id=folder.id))


@require_safe
@login_required
def folder_detail(request: AuthedRequest, folder_id: UUID) -> HttpResponse:
    """One folder: the tree beside it, its sub-folders, and its orders with the order list's
    filters; htmx gets only the orders as the filters change."""
    api = get_api()
    # The orders alone (htmx) need the folder names for "Add to folders", not the counts.
    tree = api.folder_tree(actor=request.user, with_counts=not request.htmx)
    # The tree holds the actor's folders with their counts; a folder that is not in it is
    # someone else's or gone, and the service says so (NotFound: 404).
    folder = tree.get(folder_id) or api.get_folder(actor=request.user, folder_id=folder_id)
    context = {
        "section": "folders",
        "folder": folder,
        "tree": tree,
        "nodes": side_tree(tree, folder),
        "sub_folders": tree.children(folder.id),
        "folder_choices": tree,
        "list_url": request.path,
        **_orders_context(request, folder),
        **shared_sections(request),
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
