"""The embedded backend: Django models, file storage and pydicom, in this process."""

from __future__ import annotations

from postdicom.contract import PostDicomApi
from postdicom.local.auditlog import AuditLogMixin
from postdicom.local.flags import FlagsMixin
from postdicom.local.groups import GroupsMixin
from postdicom.local.institutions import InstitutionsMixin
from postdicom.local.nodes import NodesMixin
from postdicom.local.users import UsersMixin


class LocalBackend(
    UsersMixin,
    GroupsMixin,
    InstitutionsMixin,
    NodesMixin,
    FlagsMixin,
    AuditLogMixin,
    PostDicomApi,
):
    """Implements the contract on the local database. Each topic lives in its own mixin;
    authorization and audit happen inside every method."""
