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
from postdicom.local.models.uploads import (
    BatchState,
    DocumentRecord,
    InstanceRecord,
    ItemState,
    SeriesRecord,
    StudyRecord,
    UploadBatch,
    UploadItem,
)
from postdicom.local.models.viewlinks import ViewLinkRecord

__all__ = [
    "ApiKeyRecord",
    "AuditRecord",
    "BatchState",
    "DicomNodeRecord",
    "DocumentRecord",
    "FlagGroupRecord",
    "FlagRecord",
    "Folder",
    "FolderOrder",
    "FolderShare",
    "InstanceRecord",
    "Institution",
    "ItemState",
    "OrderFlag",
    "OrderGroup",
    "OrderGroupAssignment",
    "OrderUserAssignment",
    "PatientOrder",
    "Profile",
    "SeriesRecord",
    "StudyRecord",
    "UploadBatch",
    "UploadItem",
    "UserGroup",
    "ViewLinkRecord",
]
