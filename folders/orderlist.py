"""The folder parts of the order list (``orders.views.listing.order_list``): its folder
filter (``?folder=<id>``) and whether to offer the bulk "Add to folders" action, handed to
the order table (``orders.table.TableOptions``). Their
choices are not in the page: ``folders:options`` sends them when a picker is first used."""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from django.utils.translation import gettext as _

from folders.forms import FolderFilterForm
from folders.shared import editable, shared_lists
from portal.access import AuthedRequest
from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.types import Capability, Folder, FolderTree, OrderQuery, SharedFolder


@dataclass(frozen=True)
class FolderFilter:
    choices: FolderTree | None  # the actor's folders; None when the backend has no folders
    selected: UUID | None = None
    malformed: bool = False
    shared_targets: tuple[SharedFolder, ...] = ()  # shared folders the actor may file in
    sub_folders: bool = True  # the chosen folder's sub-folders too
    not_applied: bool = False  # a folder asked for (a bookmark) where the backend has no folders

    def narrow(self, query: OrderQuery) -> OrderQuery:
        """``query`` limited to the chosen folder (and its sub-folders unless unticked).
        ``InvalidInput`` (``folder_id``) for a folder parameter that is not an id (one that is
        not the actor's: the service says)."""
        if self.malformed:
            raise InvalidInput({"folder_id": _("Choose one of your folders.")})
        if self.selected is None:
            return query
        return replace(query, folder_id=self.selected, include_sub_folders=self.sub_folders)

    @property
    def offered(self) -> bool:
        """Whether the filter is shown: the actor has folders."""
        return bool(self.choices)

    @property
    def chosen(self) -> tuple[Folder, ...]:
        """The folder chosen, for the filter's first option; the others load when it is used."""
        folder = self.choices.get(self.selected) if self.choices and self.selected else None
        return (folder,) if folder else ()

    @property
    def may_file(self) -> bool:
        """Whether "Add to folders" has somewhere to file: own folders or shared editable ones."""
        return bool(self.choices) or bool(self.shared_targets)


def folder_filter(request: AuthedRequest) -> FolderFilter:
    api = get_api()
    if Capability.FOLDER_TREE not in api.capabilities:
        return FolderFilter(choices=None, not_applied=bool(request.GET.get("folder")))
    # The whole tree (no cheaper call says whether there are folders), for a yes/no and the
    # chosen folder's name: the choices themselves are not rendered in the page.
    choices = api.folder_tree(actor=request.user, with_counts=False)
    shared = editable(shared_lists(request))
    form = FolderFilterForm(request.GET)
    if not form.is_valid():
        return FolderFilter(choices=choices, malformed=True, shared_targets=shared)
    return FolderFilter(
        choices=choices,
        selected=form.cleaned_data["folder"],
        shared_targets=shared,
        sub_folders=form.include_sub_folders(),
    )
