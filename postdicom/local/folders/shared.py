"""Reading folders that others shared with the actor: the "Shared with me" and "Shared with my
groups" lists, and one shared folder with its sub-folders and counts.

Counts are of the orders the actor may see (``visible_orders``, which already includes what a
share with restricted orders adds), so a folder never counts an order its reader cannot open.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING
from uuid import UUID

from postdicom import types as t
from postdicom.collation import sort_key
from postdicom.local import convert
from postdicom.local.folders.access import ancestor_refs
from postdicom.local.folders.reach import Access, Grant, grants, shared_row
from postdicom.local.folders.tree import build, describe, order_counts, subtree, values
from postdicom.local.models import Folder

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _entry(grant: Grant) -> t.SharedFolder:
    share = grant.share
    group = share.group
    return t.SharedFolder(
        share_id=share.uuid,
        folder=describe(share.folder, (), rights=Access(share.folder, (grant,)).rights()),
        owner=convert.person(share.folder.owner),
        shared_by=convert.person(share.shared_by),
        group=t.GroupRef(id=group.uuid, name=group.name) if group is not None else None,
        may_edit=grant.may_edit,
        may_reshare=grant.may_reshare,
        includes_restricted_orders=grant.includes_restricted_orders,
        expires=grant.expires,
    )


def _by_name(entry: t.SharedFolder) -> tuple[tuple[str, str, str], tuple[str, str, str], str]:
    return (sort_key(entry.folder.name), sort_key(entry.owner.name), str(entry.share_id))


class SharedFoldersMixin:
    def shared_folders(self, *, actor: User) -> t.SharedFolderList:
        entries = [_entry(g) for g in grants(actor)]
        return t.SharedFolderList(
            with_me=tuple(sorted((e for e in entries if e.group is None), key=_by_name)),
            with_my_groups=tuple(sorted((e for e in entries if e.group is not None), key=_by_name)),
        )

    def get_shared_folder(self, *, actor: User, folder_id: UUID) -> t.SharedFolderListing:
        access = shared_row(actor, folder_id)
        row = access.row
        rows = values(subtree(Folder.objects.filter(owner_id=row.owner_id), row))
        built = build(
            rows,
            order_counts(actor, [r.pk for r in rows]),
            rights=access.rights_below(),
            top_ancestors=access.visible_ancestors(ancestor_refs(row)),
        )
        tree = t.FolderTree(folders=tuple(built))
        folder = replace(built[0], rights=access.rights())
        return t.SharedFolderListing(folder=folder, sub_folders=tree.children(folder.id), access=access.describe())
