"""The account's flag dictionary (GetAccountFlagDictionary): groups of coloured flags."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import NotFound
from postdicom.local import convert
from postdicom.local.access import require_active, require_admin
from postdicom.local.audit import record
from postdicom.local.models import FlagGroupRecord, FlagRecord
from postdicom.local.validation import clean_color, clean_name, ensure_unique_name
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _group_row(group_id: UUID) -> FlagGroupRecord:
    try:
        return FlagGroupRecord.objects.get(uuid=group_id)
    except FlagGroupRecord.DoesNotExist:
        raise NotFound(_("No such flag group.")) from None


def _flag_row(flag_id: UUID) -> FlagRecord:
    try:
        return FlagRecord.objects.select_related("group").get(uuid=flag_id)
    except FlagRecord.DoesNotExist:
        raise NotFound(_("No such flag.")) from None


class FlagsMixin:
    def flag_dictionary(self, *, actor: User) -> tuple[t.FlagGroup, ...]:
        require_active(actor)
        groups = FlagGroupRecord.objects.prefetch_related("flags__group")
        return tuple(convert.flag_group(g) for g in groups)

    def create_flag_group(self, *, actor: User, name: str) -> t.FlagGroup:
        require_admin(actor)
        name = clean_name(name, max_length=80)
        ensure_unique_name(FlagGroupRecord.objects.all(), name)
        group = FlagGroupRecord.objects.create(name=name)
        record(actor, AuditAction.FLAG_GROUP_CREATED, target_type="flag_group", target_id=group.uuid, target_label=name)
        return convert.flag_group(group)

    def rename_flag_group(self, *, actor: User, group_id: UUID, name: str) -> t.FlagGroup:
        require_admin(actor)
        group = _group_row(group_id)
        name = clean_name(name, max_length=80)
        ensure_unique_name(FlagGroupRecord.objects.all(), name, exclude_pk=group.pk)
        old = group.name
        group.name = name
        group.save(update_fields=["name"])
        record(
            actor,
            AuditAction.FLAG_GROUP_RENAMED,
            target_type="flag_group",
            target_id=group.uuid,
            target_label=name,
            renamed_from=old,
        )
        return convert.flag_group(group)

    def delete_flag_group(self, *, actor: User, group_id: UUID) -> None:
        require_admin(actor)
        group = _group_row(group_id)
        record(
            actor,
            AuditAction.FLAG_GROUP_DELETED,
            target_type="flag_group",
            target_id=group.uuid,
            target_label=group.name,
            flags=list(group.flags.values_list("name", flat=True)),
        )
        group.delete()

    def create_flag(self, *, actor: User, group_id: UUID, draft: t.FlagDraft) -> t.Flag:
        require_admin(actor)
        group = _group_row(group_id)
        name = clean_name(draft.name, max_length=80)
        ensure_unique_name(group.flags.all(), name)
        flag = FlagRecord.objects.create(group=group, name=name, color=clean_color(draft.color))
        record(
            actor,
            AuditAction.FLAG_CREATED,
            target_type="flag",
            target_id=flag.uuid,
            target_label=str(flag),
            color=flag.color,
        )
        return convert.flag(flag)

    def update_flag(self, *, actor: User, flag_id: UUID, draft: t.FlagDraft) -> t.Flag:
        require_admin(actor)
        flag = _flag_row(flag_id)
        name = clean_name(draft.name, max_length=80)
        ensure_unique_name(flag.group.flags.all(), name, exclude_pk=flag.pk)
        before = {"name": flag.name, "color": flag.color}
        flag.name, flag.color = name, clean_color(draft.color)
        flag.save(update_fields=["name", "color"])
        record(
            actor,
            AuditAction.FLAG_UPDATED,
            target_type="flag",
            target_id=flag.uuid,
            target_label=str(flag),
            before=before,
        )
        return convert.flag(flag)

    def delete_flag(self, *, actor: User, flag_id: UUID) -> None:
        require_admin(actor)
        flag = _flag_row(flag_id)
        record(actor, AuditAction.FLAG_DELETED, target_type="flag", target_id=flag.uuid, target_label=str(flag))
        flag.delete()
