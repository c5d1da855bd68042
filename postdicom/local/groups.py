"""User groups and who belongs to them (administrators manage; everyone may list)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import InvalidInput, NotFound
from postdicom.local import convert
from postdicom.local.access import require_active, require_admin
from postdicom.local.audit import record
from postdicom.local.models import UserGroup
from postdicom.local.users import user_row, visible_users
from postdicom.local.validation import clean_name, ensure_unique_name
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_DESCRIPTION_MAX = 250


def visible_groups(actor: User) -> QuerySet[UserGroup]:
    """Groups the actor may see, by name (ignoring case), with their member counts."""
    role = require_active(actor)
    # Explicit order: Django drops ``Meta.ordering`` from queries with GROUP BY.
    groups = UserGroup.objects.annotate(member_count=Count("members", distinct=True)).order_by(Lower("name"), "pk")
    return groups if role is not t.Role.LIMITED else groups.filter(members=actor)


def _clean_description(value: str) -> str:
    description = (value or "").strip()
    if len(description) > _DESCRIPTION_MAX:
        raise InvalidInput({"description": _("Use at most %(n)d characters.") % {"n": _DESCRIPTION_MAX}})
    return description


def _taken(name: str) -> InvalidInput:
    return InvalidInput({"name": _("“%(name)s” is already taken.") % {"name": name}})


def _group_row(actor: User, group_id: UUID) -> UserGroup:
    try:
        return visible_groups(actor).get(uuid=group_id)
    except UserGroup.DoesNotExist:
        raise NotFound(_("No such user group.")) from None


class GroupsMixin:
    def list_user_groups(self, *, actor: User, text: str = "") -> tuple[t.UserGroupInfo, ...]:
        groups = visible_groups(actor)
        if text.strip():
            groups = groups.filter(name__icontains=text.strip())
        return tuple(convert.user_group(g) for g in groups)

    def get_user_group(self, *, actor: User, group_id: UUID) -> t.UserGroupInfo:
        return convert.user_group(_group_row(actor, group_id))

    def create_user_group(self, *, actor: User, name: str, description: str = "") -> t.UserGroupInfo:
        require_admin(actor)
        name = clean_name(name)
        description = _clean_description(description)
        ensure_unique_name(UserGroup.objects.all(), name)
        try:
            with transaction.atomic():
                group = UserGroup.objects.create(name=name, description=description)
                record(actor, AuditAction.GROUP_CREATED, target_type="group", target_id=group.uuid, target_label=name)
        except IntegrityError:  # created by someone else since the check above
            raise _taken(name) from None
        return convert.user_group(group)

    def update_user_group(self, *, actor: User, group_id: UUID, name: str, description: str = "") -> t.UserGroupInfo:
        require_admin(actor)
        group = _group_row(actor, group_id)
        name = clean_name(name)
        description = _clean_description(description)
        ensure_unique_name(UserGroup.objects.all(), name, exclude_pk=group.pk)
        old_name = group.name
        group.name = name
        group.description = description
        try:
            with transaction.atomic():
                group.save(update_fields=["name", "description"])
                record(
                    actor,
                    AuditAction.GROUP_UPDATED,
                    target_type="group",
                    target_id=group.uuid,
                    target_label=name,
                    **({"renamed_from": old_name} if old_name != name else {}),
                )
        except IntegrityError:  # renamed to a name taken since the check above
            raise _taken(name) from None
        return convert.user_group(group)

    def delete_user_group(self, *, actor: User, group_id: UUID) -> None:
        require_admin(actor)
        group = _group_row(actor, group_id)
        with transaction.atomic():
            record(
                actor,
                AuditAction.GROUP_DELETED,
                target_type="group",
                target_id=group.uuid,
                target_label=group.name,
                members=list(group.members.order_by("username").values_list("username", flat=True)),
            )
            group.delete()

    def group_members(self, *, actor: User, group_id: UUID) -> tuple[t.UserInfo, ...]:
        group = _group_row(actor, group_id)
        members = visible_users(actor).filter(user_groups=group).prefetch_related("profile__institutions")
        return tuple(convert.user(u) for u in members.order_by("last_name", "first_name", "username"))

    def groups_of_user(self, *, actor: User, user_id: UUID) -> tuple[t.UserGroupInfo, ...]:
        member = user_row(actor, user_id)
        return tuple(convert.user_group(g) for g in visible_groups(actor).filter(members=member))

    def add_group_members(self, *, actor: User, group_id: UUID, user_ids: Sequence[UUID]) -> int:
        return self._change_members(actor, group_id, user_ids, joining=True)

    def remove_group_members(self, *, actor: User, group_id: UUID, user_ids: Sequence[UUID]) -> int:
        return self._change_members(actor, group_id, user_ids, joining=False)

    def _change_members(self, actor: User, group_id: UUID, user_ids: Sequence[UUID], *, joining: bool) -> int:
        require_admin(actor)
        group = _group_row(actor, group_id)
        wanted = set(user_ids)
        users = list(visible_users(actor).filter(profile__uuid__in=wanted))
        if len(users) != len(wanted):
            raise InvalidInput({"user_ids": _("One of the chosen users does not exist.")})
        current = set(group.members.filter(pk__in=[u.pk for u in users]).values_list("pk", flat=True))
        changing = [u for u in users if (u.pk in current) != joining]
        with transaction.atomic():
            if joining:
                group.members.add(*changing)
            else:
                group.members.remove(*changing)
            for user in changing:
                record(
                    actor,
                    AuditAction.GROUP_MEMBER_ADDED if joining else AuditAction.GROUP_MEMBER_REMOVED,
                    target_type="group",
                    target_id=group.uuid,
                    target_label=group.name,
                    user=user.username,
                )
        return len(changing)
