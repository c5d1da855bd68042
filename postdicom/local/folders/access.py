"""Whose folders an actor reaches, and the audit trail of folder changes.

A folder belongs to one user and nobody else sees it, administrators included: a folder that
is not the actor's does not exist for them (``NotFound``). Folders shared with the actor or
their groups come with the sharing issue (see ``shared_folders``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import NotFound
from postdicom.local import convert
from postdicom.local.access import require_active
from postdicom.local.audit import record
from postdicom.local.models import Folder

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def owned_folders(actor: User) -> QuerySet[Folder]:
    """The actor's own folders. ``Forbidden`` for an inactive or anonymous actor."""
    require_active(actor)
    return Folder.objects.filter(owner=actor)


def shared_folders(actor: User) -> QuerySet[Folder]:
    """Hook for the sharing issue: folders shared with ``actor`` or one of their groups
    (listed under "Shared with me" / "Shared with my groups"). Nothing is shared yet."""
    return Folder.objects.none()


def folder_row(actor: User, folder_id: UUID, *, for_update: bool = False) -> Folder:
    """One of the actor's folders (locked with ``for_update``); ``NotFound`` otherwise."""
    rows = owned_folders(actor)
    if for_update:
        rows = rows.select_for_update()
    try:
        return rows.get(uuid=folder_id)
    except Folder.DoesNotExist:
        raise NotFound(_("No such folder.")) from None


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


def record_folder(actor: User, action: str, row: Folder, folder_label: str, **detail: Any) -> None:
    """One audit event about ``row`` (``target_type`` "folder")."""
    record(actor, action, target_type="folder", target_id=row.uuid, target_label=folder_label, **detail)
