"""The embedded backend's tables, one module per topic."""

from postdicom.local.models.accounts import Institution, Profile, UserGroup
from postdicom.local.models.apikeys import ApiKeyRecord
from postdicom.local.models.audit import AuditRecord
from postdicom.local.models.directory import DicomNodeRecord, FlagGroupRecord, FlagRecord

__all__ = [
    "ApiKeyRecord",
    "AuditRecord",
    "DicomNodeRecord",
    "FlagGroupRecord",
    "FlagRecord",
    "Institution",
    "Profile",
    "UserGroup",
]
