"""Reading folders: one folder, a folder's sub-folders (GetFolderList), the whole tree, and a
search by name. Counts come from ``tree``: a few queries whatever the size of the tree."""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING
from uuid import UUID

from postdicom import types as t
from postdicom.local import convert
from postdicom.local.audit import record_read
from postdicom.local.folders.access import ancestor_refs, folder_row, owned_folders
from postdicom.local.folders.names import search_key
from postdicom.local.folders.tree import build, values, whole_tree, with_counts_of, with_subtree
from postdicom.local.orders.search import attach_file_counts, with_summary_data
from postdicom.local.orders.visibility import visible_orders

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: Orders ``list_folders(with_orders=True)`` returns at most (GetFolderList has no paging;
#: pages use ``search_orders`` with ``folder_id``).
MAX_LISTED_ORDERS = 1000


def _matches(name: str, wanted: str) -> bool:
    return not wanted or wanted in search_key(name)


class ListFoldersMixin:
    def get_folder(self, *, actor: User, folder_id: UUID) -> t.Folder:
        row = folder_row(actor, folder_id)
        return with_subtree(actor, owned_folders(actor), row, ancestor_refs(row))[0]

    def folder_tree(self, *, actor: User, with_counts: bool = True) -> t.FolderTree:
        return t.FolderTree(folders=tuple(whole_tree(actor, owned_folders(actor), with_counts=with_counts)))

    def list_folders(
        self, *, actor: User, parent_id: UUID | None = None, name: str = "", with_orders: bool = False
    ) -> t.FolderListing:
        wanted = search_key(name or "")
        if parent_id is None:
            tree = t.FolderTree(folders=tuple(whole_tree(actor, owned_folders(actor))))
            roots = tuple(f for f in tree.roots if _matches(f.name, wanted))
            return t.FolderListing(folder=None, sub_folders=roots)
        row = folder_row(actor, parent_id)
        subtree = t.FolderTree(folders=tuple(with_subtree(actor, owned_folders(actor), row, ancestor_refs(row))))
        folder = subtree.folders[0]
        orders: tuple[t.OrderSummary, ...] = ()
        if with_orders:
            rows = with_summary_data(visible_orders(actor).filter(folder_memberships__folder=row))
            listed = list(rows.order_by("-order_date", "-order_time", "-id")[:MAX_LISTED_ORDERS])
            attach_file_counts(listed)
            orders = tuple(convert.order_summary(o) for o in listed)
            # The folder's orders were shown, as its page shows them (``search_orders``).
            record_read(
                actor,
                t.AuditAction.FOLDER_VIEWED,
                target_type="folder",
                target_id=folder.id,
                target_label=folder.name,
                found=len(orders),
                shown=len(orders),
            )
        sub_folders = tuple(f for f in subtree.children(folder.id) if _matches(f.name, wanted))
        return t.FolderListing(folder=folder, sub_folders=sub_folders, orders=orders)

    def search_folders(self, *, actor: User, text: str, limit: int = 50) -> tuple[t.Folder, ...]:
        wanted = search_key(text or "")
        if not wanted:
            return ()
        rows = values(owned_folders(actor))
        # The tree is depth first with siblings by name: matches come out in path order.
        found = list(
            islice((f for f in build(rows, rights=t.OWNER_RIGHTS) if wanted in search_key(f.name)), max(0, limit))
        )
        # Count only what the results show: the folders found and the folders below them.
        return tuple(with_counts_of(actor, rows, found))
