"""Creating folders (CreateFolder, CreateFolderWithDescription), one level or a whole path."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import InvalidInput
from postdicom.local import convert
from postdicom.local.access import require_active
from postdicom.local.folders.access import ancestor_refs, label, record_folder, writable_row
from postdicom.local.folders.names import clean_description, split_path
from postdicom.local.folders.tree import describe
from postdicom.local.models import Folder
from postdicom.local.validation import named
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def taken(name: str) -> InvalidInput:
    return InvalidInput({"name": _("There is already a folder named “%(name)s” here.") % {"name": name}})


def too_deep() -> InvalidInput:
    return InvalidInput({"name": _("Folders can be nested at most %(n)d levels deep.") % {"n": t.FOLDER_DEPTH_MAX}})


def _sibling(owner_id: int, parent: Folder | None, name: str) -> Folder | None:
    """The sub-folder of ``parent`` (None: the owner's top level) named ``name``, ignoring case."""
    rows = Folder.objects.filter(owner_id=owner_id)
    rows = rows.filter(parent=parent) if parent is not None else rows.filter(parent__isnull=True)
    return next(iter(named(rows, name)), None)


class CreateFoldersMixin:
    def create_folder(
        self, *, actor: User, name: str, parent_id: UUID | None = None, description: str = ""
    ) -> t.Folder:
        levels = split_path(name)
        description = clean_description(description)
        try:
            with transaction.atomic():
                return self._create_levels(actor, levels, parent_id, description)
        except IntegrityError:  # the same name was created by someone else meanwhile
            raise taken(levels[-1]) from None

    def _create_levels(self, actor: User, levels: list[str], parent_id: UUID | None, description: str) -> t.Folder:
        require_active(actor)
        # The parent is the actor's, or shared with them with the right to edit: then the new
        # folders are its owner's, like the rest of that tree.
        target = writable_row(actor, parent_id, for_update=True) if parent_id is not None else None
        parent = target.row if target is not None else None
        owner_id = parent.owner_id if parent is not None else actor.pk
        ancestors = (*ancestor_refs(parent), convert.folder_ref(parent)) if parent is not None else ()
        if len(ancestors) + len(levels) > t.FOLDER_DEPTH_MAX:
            raise too_deep()
        *path, last = levels
        for level in path:  # existing levels are reused, missing ones created
            row = _sibling(owner_id, parent, level) or self._create_one(actor, owner_id, parent, ancestors, level, "")
            parent, ancestors = row, (*ancestors, convert.folder_ref(row))
        existing = _sibling(owner_id, parent, last)
        if existing is not None:
            raise taken(existing.name)
        created = self._create_one(actor, owner_id, parent, ancestors, last, description)
        if target is None or target.access is None:
            return describe(created, ancestors, rights=t.OWNER_RIGHTS)
        # inside a folder shared with the actor: what the shares above it allow there
        return describe(created, target.visible(ancestors), rights=target.access.rights_below())

    def _create_one(
        self,
        actor: User,
        owner_id: int,
        parent: Folder | None,
        ancestors: tuple[t.FolderRef, ...],
        name: str,
        description: str,
    ) -> Folder:
        row = Folder.objects.create(
            owner_id=owner_id,
            parent=parent,
            path=parent.subtree_prefix if parent is not None else "/",
            name=name,
            description=description,
        )
        record_folder(
            actor,
            AuditAction.FOLDER_CREATED,
            row,
            label(row, ancestors),
            parent=" / ".join(a.name for a in ancestors),
            **({"description": description} if description else {}),
        )
        return row
