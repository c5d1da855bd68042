"""Renaming, describing, moving and deleting folders (UpdateFolderWithJSON, DeleteFolder)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local import convert
from postdicom.local.folders.access import (
    ancestor_refs,
    folder_row,
    label,
    owned_folders,
    record_folder,
    writable_row,
)
from postdicom.local.folders.create import taken
from postdicom.local.folders.names import clean_description, clean_name
from postdicom.local.folders.tree import describe, subtree
from postdicom.local.models import Folder, FolderOrder, FolderShare
from postdicom.local.validation import named
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _clash(owner_id: int, parent_pk: int | None, name: str, exclude_pk: int) -> Folder | None:
    """Another folder of the same parent (None: the owner's top level) with ``name``,
    ignoring case."""
    rows = Folder.objects.filter(owner_id=owner_id).exclude(pk=exclude_pk)
    rows = rows.filter(parent_id=parent_pk) if parent_pk is not None else rows.filter(parent__isnull=True)
    return next(iter(named(rows, name)), None)


def _refuse_move(message: str) -> InvalidInput:
    return InvalidInput({"parent_id": message})


class EditFoldersMixin:
    def update_folder(self, *, actor: User, folder_id: UUID, name: str, description: str) -> t.Folder:
        name = clean_name(name)
        description = clean_description(description)
        try:
            with transaction.atomic():
                return self._update(actor, folder_id, name, description)
        except IntegrityError:  # a sibling took the name meanwhile
            raise taken(name) from None

    def _update(self, actor: User, folder_id: UUID, name: str, description: str) -> t.Folder:
        # The actor's folder, or a folder inside one shared with them with the right to edit
        # (the shared folder itself keeps the name its owner gave it).
        target = writable_row(actor, folder_id, for_update=True)
        row = target.row
        if target.access is not None and not target.access.editable_below_share():
            raise Forbidden(_("Only the owner can rename a shared folder. You can rename the folders inside it."))
        if _clash(row.owner_id, row.parent_id, name, row.pk) is not None:
            raise taken(name)
        ancestors = ancestor_refs(row)
        old_name, old_description = row.name, row.description
        if (old_name, old_description) == (name, description):
            return describe(row, target.visible(ancestors), rights=target.rights())
        row.name, row.description = name, description
        row.save(update_fields=["name", "description", "updated_at"])
        folder_label = label(row, ancestors)
        changed = {"description_changed": old_description != description}
        if old_name != name:
            record_folder(actor, AuditAction.FOLDER_RENAMED, row, folder_label, renamed_from=old_name, **changed)
        else:
            record_folder(actor, AuditAction.FOLDER_UPDATED, row, folder_label, **changed)
        return describe(row, target.visible(ancestors), rights=target.rights())

    def move_folder(self, *, actor: User, folder_id: UUID, parent_id: UUID | None) -> t.Folder:
        try:
            with transaction.atomic():
                return self._move(actor, folder_id, parent_id)
        except IntegrityError:  # the destination got a folder of that name meanwhile
            raise _refuse_move(_("The destination already has a folder with this name.")) from None

    def _move(self, actor: User, folder_id: UUID, parent_id: UUID | None) -> t.Folder:
        # Both rows locked in one statement, in primary key order: two moves of the same two
        # folders in opposite directions then wait for each other instead of deadlocking, and
        # the second sees the first's new paths (and refuses the cycle).
        wanted = [folder_id] if parent_id is None else [folder_id, parent_id]
        locked = {r.uuid: r for r in owned_folders(actor).select_for_update().filter(uuid__in=wanted).order_by("pk")}
        if folder_id not in locked or (parent_id is not None and parent_id not in locked):
            raise NotFound(_("No such folder."))
        row = locked[folder_id]
        target = locked[parent_id] if parent_id is not None else None
        old_ancestors = ancestor_refs(row)
        if (target.pk if target is not None else None) == row.parent_id:
            return describe(row, old_ancestors, rights=t.OWNER_RIGHTS)  # already there
        if target is not None and (target.pk == row.pk or target.path.startswith(row.subtree_prefix)):
            raise _refuse_move(_("A folder cannot move into itself or into one of its own sub-folders."))
        if _clash(actor.pk, target.pk if target is not None else None, row.name, row.pk) is not None:
            raise _refuse_move(
                _("The destination already has a folder named “%(name)s”. Rename one of them first.")
                % {"name": row.name}
            )
        new_path = target.subtree_prefix if target is not None else "/"
        below = owned_folders(actor).filter(path__startswith=row.subtree_prefix)
        level = row.path.count("/")  # 1 at the top level
        height = max((p.count("/") for p in below.values_list("path", flat=True)), default=level) - level + 1
        if new_path.count("/") + height - 1 > t.FOLDER_DEPTH_MAX:
            raise _refuse_move(_("Folders can be nested at most %(n)d levels deep.") % {"n": t.FOLDER_DEPTH_MAX})
        old_prefix = row.subtree_prefix
        row.parent, row.path = target, new_path
        row.save(update_fields=["parent", "path", "updated_at"])
        below.update(path=Concat(Value(row.subtree_prefix), Substr(F("path"), len(old_prefix) + 1)))
        new_ancestors = (*ancestor_refs(target), convert.folder_ref(target)) if target is not None else ()
        record_folder(
            actor,
            AuditAction.FOLDER_MOVED,
            row,
            label(row, new_ancestors),
            from_parent=" / ".join(a.name for a in old_ancestors),
            to_parent=" / ".join(a.name for a in new_ancestors),
        )
        return describe(row, new_ancestors, rights=t.OWNER_RIGHTS)

    def delete_folder(self, *, actor: User, folder_id: UUID) -> None:
        with transaction.atomic():
            row = folder_row(actor, folder_id, for_update=True)
            ancestors = ancestor_refs(row)
            pks = list(subtree(owned_folders(actor), row).values_list("pk", flat=True))
            removed, _by_model = FolderOrder.objects.filter(folder_id__in=pks).delete()
            # Their shares go with them (the recipients lose the folders).
            shares = FolderShare.objects.filter(folder_id__in=pks, revoked_at__isnull=True).count()
            record_folder(
                actor,
                AuditAction.FOLDER_DELETED,
                row,
                label(row, ancestors),
                sub_folders_deleted=len(pks) - 1,
                orders_removed=removed,
                **({"shares_ended": shares} if shares else {}),
            )
            Folder.objects.filter(pk__in=pks).delete()
