"""Which folders of other users an actor reaches through shares, and with what rights.

A share of a folder reaches its recipient (a user, or every member of a group at the time
of the question: membership changes take effect at once) and covers the folder and every
folder below it. It counts while it is not revoked, its last day (``expires``) is not past,
and the folder's owner is active. A re-share (``source`` set) also needs the share it came
from to count, to cover its folder, to allow re-sharing and to still reach the re-sharer;
its rights and last day are capped by that share's, so a re-share never gives more than its
sharer has, even after the owner narrows the original share.

This module reads shares only; it does not know the order visibility rule (which uses it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import Forbidden, NotFound
from postdicom.local import convert
from postdicom.local.access import require_active
from postdicom.local.models import Folder, FolderShare

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: A chain of re-shares longer than this is not followed (it cannot be made by the service,
#: whose re-shares each need a share above them, but a cycle must never loop).
MAX_CHAIN = 50


def today() -> dt.date:
    """The clinic's current day: a share works through its ``expires`` day, local time."""
    return timezone.localdate()


def live(day: dt.date | None = None) -> Q:
    """Shares that count on ``day`` (today): not revoked, not past their last day, of a
    folder whose owner is active."""
    day = day or today()
    return (
        Q(revoked_at__isnull=True) & (Q(expires__isnull=True) | Q(expires__gte=day)) & Q(folder__owner__is_active=True)
    )


def reaching(actor: User) -> Q:
    """Shares whose recipient is ``actor`` or one of the actor's groups."""
    return Q(user=actor) | Q(group__in=actor.user_groups.values("pk"))


def earliest(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    """The earlier of two last days; None means no end."""
    if a is None:
        return b
    return a if b is None else min(a, b)


def covers(folder: Folder, row: Folder) -> bool:
    """Whether a share of ``folder`` covers ``row`` (itself or a folder below it)."""
    return row.pk == folder.pk or row.path.startswith(folder.subtree_prefix)


@dataclass(frozen=True)
class Grant:
    """A share that counts for its recipient, with its rights capped by the shares above it."""

    share: FolderShare
    may_edit: bool
    may_reshare: bool
    includes_restricted_orders: bool
    expires: dt.date | None

    @property
    def folder(self) -> Folder:
        return self.share.folder

    def covers(self, row: Folder) -> bool:
        return covers(self.share.folder, row)

    def allows(self, *, edit: bool, restricted: bool) -> bool:
        """Whether a re-share with these rights stays within this grant."""
        return self.may_reshare and (self.may_edit or not edit) and (self.includes_restricted_orders or not restricted)


def _effective(row: FolderShare, day: dt.date, depth: int = 0) -> Grant | None:
    """``row`` as a grant (it already counts by ``live``), or None when the chain of shares it
    was re-shared through no longer holds."""
    if row.source_id is None:
        if row.shared_by_id != row.folder.owner_id:
            return None
        return Grant(row, row.may_edit, row.may_reshare, row.includes_restricted_orders, row.expires)
    if depth >= MAX_CHAIN:
        return None
    source = FolderShare.objects.filter(live(day), pk=row.source_id).select_related("folder", "shared_by").first()
    if source is None or not source.may_reshare or not covers(source.folder, row.folder):
        return None
    sharer = row.shared_by
    if not sharer.is_active or not (
        source.user_id == sharer.pk
        or (source.group_id is not None and sharer.user_groups.filter(pk=source.group_id).exists())
    ):
        return None
    above = _effective(source, day, depth + 1)
    if above is None:
        return None
    return Grant(
        row,
        row.may_edit and above.may_edit,
        row.may_reshare and above.may_reshare,
        row.includes_restricted_orders and above.includes_restricted_orders,
        earliest(row.expires, above.expires),
    )


def _share_rows(actor: User, day: dt.date) -> QuerySet[FolderShare]:
    return (
        FolderShare.objects.filter(live(day))
        .filter(reaching(actor))
        .exclude(folder__owner=actor)
        .select_related("folder", "folder__owner__profile", "group", "shared_by__profile")
    )


def grants(actor: User, *, restricted_only: bool = False) -> list[Grant]:
    """The shares that count for ``actor`` (one query, plus one per re-share link). With
    ``restricted_only``, only those that let the actor see restricted orders."""
    require_active(actor)
    day = today()
    rows = _share_rows(actor, day)
    if restricted_only:
        rows = rows.filter(includes_restricted_orders=True)
    found = (_effective(row, day) for row in rows)
    return [g for g in found if g is not None and (g.includes_restricted_orders or not restricted_only)]


@dataclass(frozen=True)
class Access:
    """The grants that cover one folder for an actor (at least one), and what they allow."""

    row: Folder
    grants: tuple[Grant, ...]

    @property
    def may_edit(self) -> bool:
        return any(g.may_edit for g in self.grants)

    @property
    def may_reshare(self) -> bool:
        return any(g.may_reshare for g in self.grants)

    @property
    def includes_restricted_orders(self) -> bool:
        return any(g.includes_restricted_orders for g in self.grants)

    @property
    def expires(self) -> dt.date | None:
        """The last day of the longest-lasting grant (None: no end)."""
        ends = [g.expires for g in self.grants]
        return None if None in ends else max(e for e in ends if e is not None)

    @property
    def top(self) -> Folder:
        """The highest shared folder above (or equal to) the folder."""
        return min((g.folder for g in self.grants), key=lambda f: f.path.count("/"))

    def editable_below_share(self) -> bool:
        """Whether an edit grant covers the folder from above (so it may be renamed): the
        shared folder itself keeps the name its owner gave it."""
        return any(g.may_edit and g.folder.pk != self.row.pk for g in self.grants)

    def rights(self) -> t.FolderRights:
        """What the actor may do with the folder: exactly what the service's checks allow
        (``update_folder``: ``editable_below_share``; filing and sub-folders: ``may_edit``;
        ``share_folder``: ``may_reshare``; moving and deleting: the owner only)."""
        return t.FolderRights(
            can_rename=self.editable_below_share(),
            can_share=self.may_reshare,
            can_add_sub_folders=self.may_edit,
            can_file_orders=self.may_edit,
        )

    def rights_below(self) -> t.FolderRights:
        """What these grants allow in the folders below the folder (a share of one of those
        folders itself may allow more there)."""
        return t.FolderRights(
            can_rename=self.may_edit,
            can_share=self.may_reshare,
            can_add_sub_folders=self.may_edit,
            can_file_orders=self.may_edit,
        )

    def visible_ancestors(self, ancestors: tuple[t.FolderRef, ...]) -> tuple[t.FolderRef, ...]:
        """Of the folder's ``ancestors`` (top level first), those the actor may see: from
        ``top`` down."""
        return ancestors[self.top.depth :]

    def describe(self) -> t.FolderAccess:
        return t.FolderAccess(
            owner=convert.person(self.row.owner),
            top=t.FolderRef(id=self.top.uuid, name=self.top.name),
            may_edit=self.may_edit,
            may_reshare=self.may_reshare,
            includes_restricted_orders=self.includes_restricted_orders,
            expires=self.expires,
        )


def access_to(actor: User, row: Folder, found: Iterable[Grant] | None = None) -> Access | None:
    """The actor's access to ``row`` (someone else's folder) through shares, or None."""
    covering = tuple(g for g in (grants(actor) if found is None else found) if g.covers(row))
    return Access(row, covering) if covering else None


def shared_row(actor: User, folder_id: UUID, *, for_update: bool = False) -> Access:
    """Someone else's folder that is shared with the actor, and the access; ``NotFound``
    when it is not shared with them (or is theirs: see ``access.folder_row``)."""
    rows = Folder.objects.exclude(owner=actor).select_related("owner")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    row = rows.filter(uuid=folder_id).first()
    found = access_to(actor, row) if row is not None else None
    if found is None:
        raise NotFound(_("No such folder."))
    return found


def editable_row(actor: User, folder_id: UUID, *, for_update: bool = False) -> Access:
    """A folder shared with the actor with the right to edit it; ``NotFound`` when it is not
    shared with them, ``Forbidden`` when they may only view it."""
    found = shared_row(actor, folder_id, for_update=for_update)
    if not found.may_edit:
        raise Forbidden(_("This folder is shared with you to view only."))
    return found
