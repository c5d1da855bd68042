"""The embedded backend's tables, one module per topic."""

from postdicom.local.models.accounts import Institution, Profile, UserGroup
from postdicom.local.models.apikeys import ApiKeyRecord
from postdicom.local.models.audit import AuditRecord
from postdicom.local.models.directory import DicomNodeRecord, FlagGroupRecord, FlagRecord
from postdicom.local.models.folder_shares import FolderShare
from postdicom.local.models.folders import Folder, FolderOrder
from postdicom.local.models.orders import (
    OrderFlag,
    OrderGroup,
    OrderGroupAssignment,
    OrderUserAssignment,
    PatientOrder,
)
from postdicom.local.models.outside_shares import (
    AccessKind,
    Audience,
    MailKind,
    OutsideShare,
    OutsideShareOrder,
    ShareAccess,
    ShareMail,
)
from postdicom.local.models.uploads import (
    BatchState,
    DocumentRecord,
    InstanceHeaderRecord,
    InstanceRecord,
    ItemState,
    SeriesRecord,
    StudyRecord,
    UploadBatch,
    UploadItem,
)
from postdicom.local.models.viewlinks import ViewLinkRecord

__all__ = [
    "AccessKind",
    "ApiKeyRecord",
    "Audience",
    "AuditRecord",
    "BatchState",
    "DicomNodeRecord",
    "DocumentRecord",
    "FlagGroupRecord",
    "FlagRecord",
    "Folder",
    "FolderOrder",
    "FolderShare",
    "InstanceHeaderRecord",
    "InstanceRecord",
    "Institution",
    "ItemState",
    "MailKind",
    "OrderFlag",
    "OrderGroup",
    "OrderGroupAssignment",
    "OrderUserAssignment",
    "OutsideShare",
    "OutsideShareOrder",
    "PatientOrder",
    "Profile",
    "SeriesRecord",
    "ShareAccess",
    "ShareMail",
    "StudyRecord",
    "UploadBatch",
    "UploadItem",
    "UserGroup",
    "ViewLinkRecord",
]
