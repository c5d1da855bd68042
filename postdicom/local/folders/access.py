"""Whose folders an actor reaches, and the audit trail of folder changes.

A folder belongs to one user and nobody else sees it, administrators included: a folder that
is not the actor's does not exist for them (``NotFound``), unless its owner shared it with the
actor or one of their groups (``reach``): then the actor sees it and what is below it, and with
the right to edit also files orders in it and creates or renames sub-folders (``writable_row``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import Forbidden, NotFound
from postdicom.local import convert
from postdicom.local.access import require_active
from postdicom.local.audit import record
from postdicom.local.folders.reach import Access, access_to, editable_row, grants
from postdicom.local.models import Folder

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def owned_folders(actor: User) -> QuerySet[Folder]:
    """The actor's own folders. ``Forbidden`` for an inactive or anonymous actor."""
    require_active(actor)
    return Folder.objects.filter(owner=actor)


def shared_folders(actor: User) -> QuerySet[Folder]:
    """The folders shared with ``actor`` or one of their groups that count today (the shared
    folders themselves; the folders below them are reached through them)."""
    return Folder.objects.filter(pk__in={g.folder.pk for g in grants(actor)})


def folder_row(actor: User, folder_id: UUID, *, for_update: bool = False) -> Folder:
    """One of the actor's folders (locked with ``for_update``); ``NotFound`` otherwise."""
    rows = owned_folders(actor)
    if for_update:
        rows = rows.select_for_update()
    try:
        return rows.get(uuid=folder_id)
    except Folder.DoesNotExist:
        raise NotFound(_("No such folder.")) from None


@dataclass(frozen=True)
class Writable:
    """A folder the actor may change the contents of: their own (``access`` None), or one
    shared with them with the right to edit."""

    row: Folder
    access: Access | None = None

    @property
    def owner_id(self) -> int:
        return self.row.owner_id

    def visible(self, ancestors: tuple[t.FolderRef, ...]) -> tuple[t.FolderRef, ...]:
        """Of the ancestors of a folder at or below ``row``, those the actor may see."""
        return ancestors if self.access is None else self.access.visible_ancestors(ancestors)

    def rights(self) -> t.FolderRights:
        """What the actor may do with ``row``."""
        return t.OWNER_RIGHTS if self.access is None else self.access.rights()


def writable_row(actor: User, folder_id: UUID, *, for_update: bool = False) -> Writable:
    """One of the actor's folders, or one shared with them with the right to edit (locked
    with ``for_update``). ``NotFound`` when neither; ``Forbidden`` when shared to view only."""
    try:
        return Writable(folder_row(actor, folder_id, for_update=for_update))
    except NotFound:
        found = editable_row(actor, folder_id, for_update=for_update)
        return Writable(found.row, found)


def writable_rows(actor: User, folder_ids: list[UUID]) -> dict[UUID, Writable]:
    """``writable_row`` for several folders, all locked in one statement in primary key order
    (concurrent filings never deadlock). ``NotFound`` / ``Forbidden`` as ``writable_row``."""
    require_active(actor)
    locked = list(
        Folder.objects.select_for_update(of=("self",))
        .select_related("owner")
        .filter(uuid__in=folder_ids)
        .order_by("pk")
    )
    found = {row.uuid: row for row in locked}
    if len(found) != len(set(folder_ids)):
        raise NotFound(_("No such folder."))
    mine = {u: Writable(row) for u, row in found.items() if row.owner_id == actor.pk}
    others = [row for row in locked if row.owner_id != actor.pk]
    if not others:
        return mine
    reached = grants(actor)
    result = dict(mine)
    for row in others:
        access = access_to(actor, row, reached)
        if access is None:
            raise NotFound(_("No such folder."))
        if not access.may_edit:
            raise Forbidden(_("This folder is shared with you to view only."))
        result[row.uuid] = Writable(row, access)
    return result


def ancestor_pks(path: str) -> list[int]:
    """Primary keys named in a materialized ``path``, top level first."""
    return [int(pk) for pk in path.strip("/").split("/") if pk]


def ancestor_refs(row: Folder) -> tuple[t.FolderRef, ...]:
    """The folders above ``row``, top level first (one query; none for a top-level folder)."""
    return ancestors_of([row])[row.pk] if row.path != "/" else ()


def ancestors_of(rows: Iterable[Folder]) -> dict[int, tuple[t.FolderRef, ...]]:
    """The ancestors of each of ``rows`` (by primary key), top level first: one query in all."""
    rows = list(rows)
    wanted = {pk for row in rows for pk in ancestor_pks(row.path)}
    found = {r.pk: convert.folder_ref(r) for r in Folder.objects.filter(pk__in=wanted).only("pk", "uuid", "name")}
    return {row.pk: tuple(found[pk] for pk in ancestor_pks(row.path) if pk in found) for row in rows}


def label(row: Folder, ancestors: tuple[t.FolderRef, ...]) -> str:
    """ "Cardiology / 2026 / March", the audit trail's name of a folder."""
    return " / ".join([*(a.name for a in ancestors), row.name])


def record_folder(actor: User, action: t.AuditAction, row: Folder, folder_label: str, **detail: Any) -> None:
    """One audit event about ``row`` (``target_type`` "folder"); a change someone makes in a
    folder shared with them names the folder's owner."""
    if actor.pk is not None and row.owner_id != actor.pk:
        detail = {"owner": row.owner.get_username(), **detail}
    record(actor, action, target_type="folder", target_id=row.uuid, target_label=folder_label, **detail)
