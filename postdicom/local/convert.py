"""Rows → the frozen values of ``postdicom.types``. Nothing else turns a model into a type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from postdicom import types as t
from postdicom.local.access import profile_of
from postdicom.local.models import (
    ApiKeyRecord,
    AuditRecord,
    DicomNodeRecord,
    FlagGroupRecord,
    FlagRecord,
    Institution,
    UserGroup,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def institution(row: Institution) -> t.Institution:
    return t.Institution(
        id=row.uuid,
        name=row.name,
        address=row.address,
        is_active=row.is_active,
        user_count=getattr(row, "user_count", 0),
    )


def user(row: User) -> t.UserInfo:
    profile = profile_of(row)
    return t.UserInfo(
        id=profile.uuid,
        username=row.username,
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        role=t.Role(profile.role),
        is_active=row.is_active,
        institutions=tuple(institution(i) for i in profile.institutions.all()),
        last_login=row.last_login,
        date_joined=row.date_joined,
    )


def user_group(row: UserGroup) -> t.UserGroupInfo:
    count = getattr(row, "member_count", None)
    return t.UserGroupInfo(
        id=row.uuid,
        name=row.name,
        description=row.description,
        member_count=row.members.count() if count is None else count,
    )


def dicom_node(row: DicomNodeRecord) -> t.DicomNode:
    return t.DicomNode(
        id=row.uuid,
        name=row.name,
        ae_title=row.ae_title,
        host=row.host,
        port=row.port,
        institution=institution(row.institution),
        description=row.description,
    )


def flag(row: FlagRecord) -> t.Flag:
    return t.Flag(id=row.uuid, group_id=row.group.uuid, name=row.name, color=row.color)


def flag_group(row: FlagGroupRecord) -> t.FlagGroup:
    return t.FlagGroup(id=row.uuid, name=row.name, flags=tuple(flag(f) for f in row.flags.all()))


def audit_event(row: AuditRecord) -> t.AuditEvent:
    return t.AuditEvent(
        id=row.pk,
        at=row.at,
        actor_name=row.actor_name,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        target_label=row.target_label,
        ip=row.ip,
        detail=row.detail,
    )


def api_key(row: ApiKeyRecord) -> t.ApiKey:
    return t.ApiKey(
        id=row.uuid,
        name=row.name,
        prefix=row.prefix,
        user=user(row.user),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked=row.revoked_at is not None,
    )
