"""Sharing folders with account users and user groups (ShareFolderWithAccountUser,
ShareFolderWithAccountUserGroup): sharing, what the share dialog offers, a folder's shares,
and revoking them.

The owner shares any of their folders with any rights, except that only staff and
administrators may let recipients see restricted orders. A recipient whose share allows it
re-shares with at most their own rights and for at most as long as their own access. One
share per folder and recipient: sharing again with the same recipient changes that share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local import convert
from postdicom.local.access import require_active, role_of
from postdicom.local.folders.access import ancestor_refs, folder_row, label, record_folder
from postdicom.local.folders.reach import Access, Grant, access_to, shared_row, today
from postdicom.local.folders.tree import describe
from postdicom.local.groups import visible_groups
from postdicom.local.models import Folder, FolderShare, UserGroup
from postdicom.local.outside.making import MakeOutsideSharesMixin
from postdicom.local.users import visible_users
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_RELATED = ("folder", "user__profile", "group", "shared_by__profile")


class _Sharer:
    """Who is sharing ``row`` and within what: the owner (``grants`` empty), or a recipient
    through the grants of theirs that allow re-sharing."""

    def __init__(self, row: Folder, access: Access | None) -> None:
        self.row = row
        self.access = access
        self.grants: tuple[Grant, ...] = tuple(g for g in access.grants if g.may_reshare) if access else ()

    @property
    def is_owner(self) -> bool:
        return self.access is None

    def visible(self, ancestors: tuple[t.FolderRef, ...]) -> tuple[t.FolderRef, ...]:
        return ancestors if self.access is None else self.access.visible_ancestors(ancestors)

    def source(self, *, edit: bool, restricted: bool) -> Grant | None:
        """The grant a re-share comes from (the longest-lasting that has the rights asked
        for); ``InvalidInput`` when none has. None for the owner."""
        if self.is_owner:
            return None
        fitting = [g for g in self.grants if g.allows(edit=edit, restricted=restricted)]
        if fitting:
            return max(fitting, key=lambda g: (g.expires is None, g.expires or dt.date.min))
        errors: dict[str, str] = {}
        if edit and not any(g.may_edit for g in self.grants):
            errors["may_edit"] = _("You may only view this folder, so you cannot let others edit it.")
        if restricted and not any(g.includes_restricted_orders for g in self.grants):
            errors["includes_restricted_orders"] = _(
                "Your access does not include restricted orders, so you cannot pass them on."
            )
        raise InvalidInput(errors or _("No single share of yours allows all of these rights. Choose fewer."))


def _sharer(actor: User, folder_id: UUID, *, for_update: bool = False) -> _Sharer:
    """The owner of the folder, or a recipient allowed to re-share it (``Forbidden`` when
    their share does not allow it); ``NotFound`` when the folder is neither."""
    try:
        return _Sharer(folder_row(actor, folder_id, for_update=for_update), None)
    except NotFound:
        access = shared_row(actor, folder_id, for_update=for_update)
    if not access.may_reshare:
        raise Forbidden(_("This folder is shared with you without the right to share it further."))
    return _Sharer(access.row, access)


def _recipient_users(actor: User, ids: Sequence[UUID], row: Folder) -> list[User]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = {u.profile.uuid: u for u in visible_users(actor).filter(is_active=True, profile__uuid__in=wanted)}
    if len(found) != len(wanted):
        raise InvalidInput({"user_ids": _("Choose colleagues from the list.")})
    users = [found[u] for u in wanted]
    for user in users:
        if user.pk == actor.pk:
            raise InvalidInput({"user_ids": _("You cannot share a folder with yourself.")})
        if user.pk == row.owner_id:
            raise InvalidInput(
                {"user_ids": _("%(name)s owns this folder already.") % {"name": user.get_full_name() or user.username}}
            )
    return users


def _recipient_groups(actor: User, ids: Sequence[UUID]) -> list[UserGroup]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = {g.uuid: g for g in visible_groups(actor).filter(uuid__in=wanted)}
    if len(found) != len(wanted):
        raise InvalidInput({"group_ids": _("Choose groups from the list.")})
    return [found[g] for g in wanted]


def _check_audience(audience: t.ShareAudience) -> None:
    if not audience.accounts:
        raise InvalidInput({"user_ids": _("Choose at least one colleague or group.")})


def _rights(share: FolderShare) -> dict[str, Any]:
    return {
        "may_edit": share.may_edit,
        "may_reshare": share.may_reshare,
        "includes_restricted_orders": share.includes_restricted_orders,
        "expires": share.expires.isoformat() if share.expires else None,
    }


def _recipient_detail(share: FolderShare) -> dict[str, str]:
    if share.user is not None:
        return {"user": share.user.get_full_name() or share.user.username}
    assert share.group is not None
    return {"group": share.group.name}


class ShareFoldersMixin(MakeOutsideSharesMixin):
    def share_folder(
        self,
        *,
        actor: User,
        folder_id: UUID,
        audience: t.ShareAudience,
        expires: dt.date | None = None,
        may_edit: bool = False,
        may_reshare: bool = False,
        includes_restricted_orders: bool = False,
        options: t.ShareOptions | None = None,
    ) -> tuple[t.Share, ...]:
        require_active(actor)
        if audience.outside:
            # E-mail, link and upload-only shares: postdicom.local.outside.making.
            return (self._share_folder_outside(actor, folder_id, audience, options or t.ShareOptions()),)
        _check_audience(audience)
        day = today()
        if expires is not None and expires < day:
            raise InvalidInput({"expires": _("Choose today or a later day.")})
        try:
            with transaction.atomic():
                rows = self._share(
                    actor,
                    folder_id,
                    audience,
                    expires,
                    edit=may_edit,
                    reshare=may_reshare,
                    restricted=includes_restricted_orders,
                )
        except IntegrityError:  # the same recipient was given the folder meanwhile
            raise InvalidInput(_("Someone shared this folder with the same people meanwhile. Try again.")) from None
        return tuple(convert.folder_share(row, today=day) for row in rows)

    def _share(
        self,
        actor: User,
        folder_id: UUID,
        audience: t.ShareAudience,
        expires: dt.date | None,
        *,
        edit: bool,
        reshare: bool,
        restricted: bool,
    ) -> list[FolderShare]:
        # The folder is locked: two shares of one folder to the same recipient wait in turn.
        sharer = _sharer(actor, folder_id, for_update=True)
        row = sharer.row
        source = sharer.source(edit=edit, restricted=restricted)
        if source is None and restricted and role_of(actor) is t.Role.LIMITED:
            raise InvalidInput(
                {
                    "includes_restricted_orders": _(
                        "Only staff and administrators can let others see restricted orders through a folder."
                    )
                }
            )
        if source is not None and source.expires is not None:
            if expires is None:
                expires = source.expires  # a re-share lasts at most as long as its sharer's access
            elif expires > source.expires:
                raise InvalidInput(
                    {
                        "expires": _("Your own access ends on %(day)s. Choose that day or an earlier one.")
                        % {"day": source.expires.isoformat()}
                    }
                )
        users = _recipient_users(actor, audience.user_ids, row)
        groups = _recipient_groups(actor, audience.group_ids)
        folder_label = label(row, ancestor_refs(row))
        wanted = {"may_edit": edit, "may_reshare": reshare, "includes_restricted_orders": restricted}
        made: list[FolderShare] = []
        for user in users:
            made.append(self._share_one(actor, row, folder_label, source, wanted, expires, user=user))
        for group in groups:
            made.append(self._share_one(actor, row, folder_label, source, wanted, expires, group=group))
        ids = [share.pk for share in made]
        return list(FolderShare.objects.filter(pk__in=ids).select_related(*_RELATED).order_by("pk"))

    def _share_one(
        self,
        actor: User,
        row: Folder,
        folder_label: str,
        source: Grant | None,
        wanted: dict[str, bool],
        expires: dt.date | None,
        *,
        user: User | None = None,
        group: UserGroup | None = None,
    ) -> FolderShare:
        field = "user_ids" if user is not None else "group_ids"
        existing = (
            FolderShare.objects.select_for_update(of=("self",))
            .filter(folder=row, revoked_at__isnull=True, user=user, group=group)
            .select_related("shared_by", "user", "group")
            .first()
        )
        if existing is None:
            share = FolderShare.objects.create(
                folder=row,
                shared_by=actor,
                source=source.share if source is not None else None,
                user=user,
                group=group,
                expires=expires,
                **wanted,
            )
            record_folder(
                actor,
                AuditAction.FOLDER_SHARED,
                row,
                folder_label,
                **_recipient_detail(share),
                **_rights(share),
                **({"reshared": True} if source is not None else {}),
            )
            return share
        if existing.shared_by_id != actor.pk and row.owner_id != actor.pk:
            by = existing.shared_by.get_full_name() or existing.shared_by.username
            name = _recipient_detail(existing).popitem()[1]
            raise InvalidInput(
                {field: _("%(name)s already has this folder, shared by %(by)s.") % {"name": name, "by": by}}
            )
        before = _rights(existing)
        existing.shared_by = actor
        existing.source = source.share if source is not None else None
        existing.expires = expires
        for key, value in wanted.items():
            setattr(existing, key, value)
        existing.save(update_fields=["shared_by", "source", "expires", *wanted])
        after = _rights(existing)
        changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        if changes:
            record_folder(
                actor,
                AuditAction.FOLDER_SHARE_CHANGED,
                row,
                folder_label,
                **_recipient_detail(existing),
                changes=changes,
            )
        return existing

    def folder_share_options(self, *, actor: User, folder_id: UUID) -> t.FolderShareOptions:
        sharer = _sharer(actor, folder_id)
        row = sharer.row
        users = (
            visible_users(actor)
            .filter(is_active=True)
            .exclude(pk__in=[actor.pk, row.owner_id])
            .order_by(Lower("first_name"), Lower("last_name"), "username")
        )
        groups = visible_groups(actor)
        if sharer.is_owner:
            edit, reshare = True, True
            restricted = role_of(actor) is not t.Role.LIMITED
            latest = None
        else:
            edit = any(g.may_edit for g in sharer.grants)
            reshare = True
            restricted = any(g.includes_restricted_orders for g in sharer.grants)
            ends = [g.expires for g in sharer.grants]
            latest = None if None in ends else max(e for e in ends if e is not None)
        return t.FolderShareOptions(
            folder=describe(
                row,
                sharer.visible(ancestor_refs(row)),
                rights=t.OWNER_RIGHTS if sharer.access is None else sharer.access.rights(),
            ),
            users=tuple(convert.person(u) for u in users),
            groups=tuple(t.GroupRef(id=g.uuid, name=g.name) for g in groups),
            is_owner=sharer.is_owner,
            may_edit=edit,
            may_reshare=reshare,
            includes_restricted_orders=restricted,
            latest_expiry=latest,
        )

    def folder_shares(self, *, actor: User, folder_id: UUID) -> tuple[t.Share, ...]:
        rows: QuerySet[FolderShare]
        try:
            row = folder_row(actor, folder_id)
            rows = FolderShare.objects.filter(folder=row)
        except NotFound:
            access = shared_row(actor, folder_id)
            rows = FolderShare.objects.filter(folder=access.row, shared_by=actor)
        day = today()
        rows = rows.filter(revoked_at__isnull=True).select_related(*_RELATED).order_by("created_at", "pk")
        return tuple(convert.folder_share(r, today=day) for r in rows)

    def revoke_folder_share(self, *, actor: User, share_id: UUID) -> None:
        require_active(actor)
        with transaction.atomic():
            share = FolderShare.objects.filter(uuid=share_id).select_related("folder").first()
            if share is None:
                raise NotFound(_("No such share."))
            row = share.folder
            if row.owner_id != actor.pk and share.shared_by_id != actor.pk:
                if access_to(actor, row) is not None:
                    raise Forbidden(_("Only the folder's owner, or whoever made this share, can revoke it."))
                raise NotFound(_("No such share."))
            # Locked like sharing, so that a share made meanwhile is seen (and revoked with it).
            Folder.objects.select_for_update().filter(pk=row.pk).first()
            share = FolderShare.objects.select_related(*_RELATED).get(pk=share.pk)
            if share.revoked_at is not None:
                return  # revoked meanwhile: nothing more to do
            folder_label = label(row, ancestor_refs(row))
            self._revoke(actor, share, row, folder_label, cascade=False)

    def _revoke(self, actor: User, share: FolderShare, row: Folder, folder_label: str, *, cascade: bool) -> None:
        """Revoke ``share`` and, after it, every share re-shared through it (at any depth)."""
        todo = [(share, cascade)]
        now = timezone.now()
        while todo:
            current, through = todo.pop()
            current.revoked_at, current.revoked_by = now, actor
            current.save(update_fields=["revoked_at", "revoked_by"])
            target = current.folder
            record_folder(
                actor,
                AuditAction.FOLDER_SHARE_REVOKED,
                target,
                folder_label if target.pk == row.pk else label(target, ancestor_refs(target)),
                **_recipient_detail(current),
                **({"with_the_share_it_came_from": True} if through else {}),
            )
            below = FolderShare.objects.filter(source=current, revoked_at__isnull=True).select_related(*_RELATED)
            todo.extend((child, True) for child in below)
