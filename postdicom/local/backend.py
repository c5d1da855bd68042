"""The embedded backend: Django models, file storage and pydicom, in this process."""

from __future__ import annotations

from postdicom.contract import PostDicomApi
from postdicom.local.api_keys import ApiKeysMixin
from postdicom.local.auditlog import AuditLogMixin
from postdicom.local.flags import FlagsMixin
from postdicom.local.folders.create import CreateFoldersMixin
from postdicom.local.folders.edit import EditFoldersMixin
from postdicom.local.folders.listing import ListFoldersMixin
from postdicom.local.folders.membership import FolderMembershipMixin
from postdicom.local.folders.shared import SharedFoldersMixin
from postdicom.local.folders.sharing import ShareFoldersMixin
from postdicom.local.groups import GroupsMixin
from postdicom.local.images.service import ImagesMixin
from postdicom.local.institutions import InstitutionsMixin
from postdicom.local.nodes import NodesMixin
from postdicom.local.orders.archive import ArchiveMixin
from postdicom.local.orders.assignment import AssignOrdersMixin
from postdicom.local.orders.create import CreateOrdersMixin
from postdicom.local.orders.edit import EditOrdersMixin
from postdicom.local.orders.flags import OrderFlagsMixin
from postdicom.local.orders.links import LinkOrdersMixin
from postdicom.local.orders.properties import OrderPropertiesMixin
from postdicom.local.orders.recycle import RecycleBinMixin
from postdicom.local.orders.search import SearchOrdersMixin
from postdicom.local.orders.viewer import ViewerMixin
from postdicom.local.outside.owner import ManageOutsideSharesMixin
from postdicom.local.outside.visitor import VisitOutsideSharesMixin
from postdicom.local.uploads.service import UploadsMixin
from postdicom.local.users import UsersMixin
from postdicom.local.view_links import ViewLinksMixin


class LocalBackend(
    UsersMixin,
    GroupsMixin,
    InstitutionsMixin,
    NodesMixin,
    FlagsMixin,
    AuditLogMixin,
    ApiKeysMixin,
    CreateOrdersMixin,
    EditOrdersMixin,
    SearchOrdersMixin,
    OrderPropertiesMixin,
    ViewerMixin,
    RecycleBinMixin,
    LinkOrdersMixin,
    AssignOrdersMixin,
    OrderFlagsMixin,
    ArchiveMixin,
    UploadsMixin,
    ImagesMixin,
    CreateFoldersMixin,
    EditFoldersMixin,
    ListFoldersMixin,
    FolderMembershipMixin,
    ShareFoldersMixin,
    SharedFoldersMixin,
    ManageOutsideSharesMixin,
    VisitOutsideSharesMixin,
    ViewLinksMixin,
    PostDicomApi,
):
    """Implements the contract on the local database. Each topic lives in its own mixin;
    authorization and audit happen inside every method."""
