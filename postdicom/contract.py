"""The service-layer contract: one method per capability of the PostDICOM Cloud API.

Every entry point (pages, the HTTP API, Celery tasks) calls these methods through
``postdicom.get_api()``; who may do what, validation and the audit trail live behind them.

Rules every backend keeps:

* Arguments are keyword-only; the acting user (``actor``) comes first.
* Results are the frozen dataclasses of ``postdicom.types``; ids are UUIDs.
* Only ``postdicom.errors`` escape: ``InvalidInput`` (per-field messages), ``NotFound``
  (missing, or hidden from this actor), ``Forbidden`` (visible but not allowed),
  ``Unsupported`` (this backend cannot), ``Unavailable`` (transient; retry).
* A method a backend does not override raises ``Unsupported``; ``capabilities`` names the
  ones it does, so the UI hides or explains what is missing instead of failing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from postdicom.errors import Unsupported
from postdicom.types import (
    Account,
    Anonymization,
    ApiKey,
    AuditEvent,
    AuditQuery,
    Contact,
    DicomFileSummary,
    DicomNode,
    DicomNodeDraft,
    Document,
    Flag,
    FlagDraft,
    FlagGroup,
    Folder,
    FolderListing,
    Institution,
    InstitutionDraft,
    OrderDetail,
    OrderDraft,
    OrderQuery,
    OrderSummary,
    Page,
    Share,
    ShareAudience,
    UploadFile,
    UploadReceipt,
    UserDraft,
    UserGroupInfo,
    UserInfo,
    UserQuery,
    ViewLink,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    Actor = User


def _unsupported(name: str) -> Unsupported:
    return Unsupported(f"This server cannot {name.replace('_', ' ')}.")


class PostDicomApi:
    """The contract. Subclasses override what they support; the rest raises ``Unsupported``."""

    # --- Capabilities ---------------------------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[str]:
        """Names of the contract methods this backend implements."""
        return frozenset(
            name
            for name, member in vars(PostDicomApi).items()
            if callable(member) and not name.startswith("_") and getattr(type(self), name) is not member
        )

    # --- Account and directory (Initialize, GetUserList, GetUserGroupList, …) ---------------------

    def account(self, *, actor: Actor) -> Account:
        """The actor, their role and institutions, and the users they can see (Initialize).
        Raises ``Forbidden`` for an inactive user."""
        raise _unsupported("account")

    def current_user(self, *, actor: Actor) -> UserInfo:
        """The actor as a ``UserInfo`` (role, institutions); ``Forbidden`` when inactive."""
        raise _unsupported("current_user")

    def list_users(self, *, actor: Actor, query: UserQuery | None = None) -> Page[UserInfo]:
        """Users the actor can see, filtered by ``query`` (GetUserList). Administrators see
        everyone; staff the users of their institutions; limited users only themselves."""
        raise _unsupported("list_users")

    def get_user(self, *, actor: Actor, user_id: UUID) -> UserInfo:
        """One user. ``NotFound`` when the actor may not see them."""
        raise _unsupported("get_user")

    def create_user(self, *, actor: Actor, draft: UserDraft, password: str) -> UserInfo:
        """Administrators only. ``InvalidInput`` for a taken user name, an unknown
        institution or a weak password."""
        raise _unsupported("create_user")

    def update_user(self, *, actor: Actor, user_id: UUID, draft: UserDraft) -> UserInfo:
        """Administrators only. An administrator cannot take away their own role."""
        raise _unsupported("update_user")

    def set_user_active(self, *, actor: Actor, user_id: UUID, active: bool) -> UserInfo:
        """Administrators only; deactivated users cannot log in and keep their history.
        The last active administrator, and the actor themself, cannot be deactivated."""
        raise _unsupported("set_user_active")

    def set_user_password(self, *, actor: Actor, user_id: UUID, password: str) -> None:
        """Administrators only. ``InvalidInput`` (field ``password``) for a weak password."""
        raise _unsupported("set_user_password")

    def list_user_groups(self, *, actor: Actor, text: str = "") -> tuple[UserGroupInfo, ...]:
        """Every user group, by name (GetUserGroupList); limited users see their own."""
        raise _unsupported("list_user_groups")

    def get_user_group(self, *, actor: Actor, group_id: UUID) -> UserGroupInfo:
        raise _unsupported("get_user_group")

    def create_user_group(self, *, actor: Actor, name: str, description: str = "") -> UserGroupInfo:
        """Administrators only. Names are unique, ignoring case."""
        raise _unsupported("create_user_group")

    def update_user_group(self, *, actor: Actor, group_id: UUID, name: str, description: str = "") -> UserGroupInfo:
        """Administrators only: rename, or change the description."""
        raise _unsupported("update_user_group")

    def delete_user_group(self, *, actor: Actor, group_id: UUID) -> None:
        """Administrators only. Members stay; they only leave the group."""
        raise _unsupported("delete_user_group")

    def group_members(self, *, actor: Actor, group_id: UUID) -> tuple[UserInfo, ...]:
        raise _unsupported("group_members")

    def groups_of_user(self, *, actor: Actor, user_id: UUID) -> tuple[UserGroupInfo, ...]:
        raise _unsupported("groups_of_user")

    def add_group_members(self, *, actor: Actor, group_id: UUID, user_ids: Sequence[UUID]) -> int:
        """Administrators only. Returns how many users joined (members already in are skipped)."""
        raise _unsupported("add_group_members")

    def remove_group_members(self, *, actor: Actor, group_id: UUID, user_ids: Sequence[UUID]) -> int:
        """Administrators only. Returns how many users left."""
        raise _unsupported("remove_group_members")

    def list_contacts(self, *, actor: Actor) -> tuple[Contact, ...]:
        """People the actor can send shares to (GetContactList)."""
        raise _unsupported("list_contacts")

    # --- Institutions (locations) -----------------------------------------------------------------

    def list_institutions(self, *, actor: Actor) -> tuple[Institution, ...]:
        """Administrators see every institution; others the ones they belong to."""
        raise _unsupported("list_institutions")

    def get_institution(self, *, actor: Actor, institution_id: UUID) -> Institution:
        raise _unsupported("get_institution")

    def create_institution(self, *, actor: Actor, draft: InstitutionDraft) -> Institution:
        """Administrators only. Names are unique, ignoring case."""
        raise _unsupported("create_institution")

    def update_institution(
        self, *, actor: Actor, institution_id: UUID, draft: InstitutionDraft, active: bool = True
    ) -> Institution:
        """Administrators only. An inactive institution takes no new orders or uploads."""
        raise _unsupported("update_institution")

    # --- DICOM nodes (GetDicomNodeList) ----------------------------------------------------------

    def list_dicom_nodes(self, *, actor: Actor) -> tuple[DicomNode, ...]:
        """Nodes of the actor's institutions (administrators: all)."""
        raise _unsupported("list_dicom_nodes")

    def get_dicom_node(self, *, actor: Actor, node_id: UUID) -> DicomNode:
        raise _unsupported("get_dicom_node")

    def create_dicom_node(self, *, actor: Actor, draft: DicomNodeDraft) -> DicomNode:
        """Administrators only. AE titles are 1–16 characters of DICOM's default set, unique
        within an institution."""
        raise _unsupported("create_dicom_node")

    def update_dicom_node(self, *, actor: Actor, node_id: UUID, draft: DicomNodeDraft) -> DicomNode:
        raise _unsupported("update_dicom_node")

    def delete_dicom_node(self, *, actor: Actor, node_id: UUID) -> None:
        raise _unsupported("delete_dicom_node")

    # --- Flags (GetAccountFlagDictionary) -------------------------------------------------------

    def flag_dictionary(self, *, actor: Actor) -> tuple[FlagGroup, ...]:
        """Every flag group with its flags, by name."""
        raise _unsupported("flag_dictionary")

    def create_flag_group(self, *, actor: Actor, name: str) -> FlagGroup:
        raise _unsupported("create_flag_group")

    def rename_flag_group(self, *, actor: Actor, group_id: UUID, name: str) -> FlagGroup:
        raise _unsupported("rename_flag_group")

    def delete_flag_group(self, *, actor: Actor, group_id: UUID) -> None:
        """Administrators only; also clears its flags from every order."""
        raise _unsupported("delete_flag_group")

    def create_flag(self, *, actor: Actor, group_id: UUID, draft: FlagDraft) -> Flag:
        raise _unsupported("create_flag")

    def update_flag(self, *, actor: Actor, flag_id: UUID, draft: FlagDraft) -> Flag:
        raise _unsupported("update_flag")

    def delete_flag(self, *, actor: Actor, flag_id: UUID) -> None:
        raise _unsupported("delete_flag")

    # --- Audit log --------------------------------------------------------------------------------

    def audit_log(self, *, actor: Actor, query: AuditQuery) -> Page[AuditEvent]:
        """Administrators only; newest first. Events are never changed or deleted."""
        raise _unsupported("audit_log")

    def record_authentication(self, *, username: str, user: Actor | None, event: str) -> None:
        """Record ``login``, ``logout``, ``login_failed`` or ``locked_out`` for ``username``."""
        raise _unsupported("record_authentication")

    # --- API keys ---------------------------------------------------------------------------------

    def list_api_keys(self, *, actor: Actor) -> tuple[ApiKey, ...]:
        raise _unsupported("list_api_keys")

    def create_api_key(self, *, actor: Actor, name: str, user_id: UUID) -> tuple[ApiKey, str]:
        """Administrators only. Returns the key and its secret, which is shown once."""
        raise _unsupported("create_api_key")

    def revoke_api_key(self, *, actor: Actor, key_id: UUID) -> None:
        raise _unsupported("revoke_api_key")

    # --- Orders -----------------------------------------------------------------------------------

    def create_order(self, *, actor: Actor, institution_id: UUID, draft: OrderDraft) -> OrderSummary:
        """CreateOrderWithMinimumParameters / FullParameters / FullParameters2 / WithJSON."""
        raise _unsupported("create_order")

    def possible_duplicates(self, *, actor: Actor, institution_id: UUID, draft: OrderDraft) -> tuple[OrderSummary, ...]:
        """Open orders with the same patient ID, or the same name and birth date."""
        raise _unsupported("possible_duplicates")

    def search_orders(self, *, actor: Actor, query: OrderQuery) -> Page[OrderSummary]:
        """GetPatientOrderList and its …WithDateRange, …WithBirthdate, …InFolder variants."""
        raise _unsupported("search_orders")

    def order_properties(self, *, actor: Actor, order_id: UUID) -> OrderDetail:
        """GetPatientOrderProperties."""
        raise _unsupported("order_properties")

    def delete_order(self, *, actor: Actor, order_id: UUID) -> None:
        """DeleteOrder: to the recycle bin. Staff and administrators only."""
        raise _unsupported("delete_order")

    def restore_order(self, *, actor: Actor, order_id: UUID) -> None:
        raise _unsupported("restore_order")

    def purge_order(self, *, actor: Actor | None, order_id: UUID) -> None:
        """Remove a deleted order and its files for good (``actor`` None: the purge task)."""
        raise _unsupported("purge_order")

    def recycle_bin(self, *, actor: Actor, page: int = 1) -> Page[OrderSummary]:
        raise _unsupported("recycle_bin")

    def link_orders(self, *, actor: Actor, order_ids: Sequence[UUID]) -> UUID:
        """CreateOrderGroup: returns the new group's id."""
        raise _unsupported("link_orders")

    def add_to_order_group(self, *, actor: Actor, group_id: UUID, order_ids: Sequence[UUID]) -> None:
        raise _unsupported("add_to_order_group")

    def unlink_orders(self, *, actor: Actor, order_ids: Sequence[UUID]) -> None:
        raise _unsupported("unlink_orders")

    def assign_order(
        self, *, actor: Actor, order_id: UUID, user_id: UUID | None = None, group_id: UUID | None = None
    ) -> None:
        """AssignPatientOrderToUser / …ToUserGroup."""
        raise _unsupported("assign_order")

    def unassign_order(
        self, *, actor: Actor, order_id: UUID, user_id: UUID | None = None, group_id: UUID | None = None
    ) -> None:
        raise _unsupported("unassign_order")

    def move_order_to_institution(self, *, actor: Actor, order_id: UUID, institution_id: UUID) -> None:
        """AssignPatientOrderToLocation."""
        raise _unsupported("move_order_to_institution")

    def set_order_flag(self, *, actor: Actor, order_id: UUID, group_id: UUID, flag_id: UUID | None) -> None:
        """SetFlagToPatientOrder; ``flag_id`` None clears the group's flag."""
        raise _unsupported("set_order_flag")

    # --- Files ----------------------------------------------------------------------------------

    def read_dicom_files(self, *, files: Sequence[UploadFile]) -> tuple[DicomFileSummary, ...]:
        """ReadDicomFiles: what each file holds, without storing anything."""
        raise _unsupported("read_dicom_files")

    def upload_dicom(
        self,
        *,
        actor: Actor,
        institution_id: UUID,
        files: Sequence[UploadFile],
        folder_id: UUID | None = None,
        anonymize: Anonymization | None = None,
    ) -> UploadReceipt:
        """UploadDicomFiles, …IntoFolder, …WithAnonymization, …IntoFolderWithAnonymization."""
        raise _unsupported("upload_dicom")

    def upload_documents(self, *, actor: Actor, order_id: UUID, files: Sequence[UploadFile]) -> tuple[Document, ...]:
        """UploadDocumentFiles: PDF, JPEG, PNG, BMP, MP4, checked by content."""
        raise _unsupported("upload_documents")

    # --- Folders --------------------------------------------------------------------------------

    def create_folder(self, *, actor: Actor, name: str, parent_id: UUID | None = None, description: str = "") -> Folder:
        """CreateFolder / …WithDescription; ``a/b`` creates both levels."""
        raise _unsupported("create_folder")

    def update_folder(
        self,
        *,
        actor: Actor,
        folder_id: UUID,
        name: str,
        description: str,
        parent_id: UUID | None = None,
    ) -> Folder:
        """UpdateFolderWithJSON, plus moving under another parent."""
        raise _unsupported("update_folder")

    def delete_folder(self, *, actor: Actor, folder_id: UUID) -> None:
        raise _unsupported("delete_folder")

    def list_folders(
        self, *, actor: Actor, parent_id: UUID | None = None, name: str = "", with_orders: bool = False
    ) -> FolderListing:
        """GetFolderList."""
        raise _unsupported("list_folders")

    def add_order_to_folders(self, *, actor: Actor, order_id: UUID, folder_ids: Sequence[UUID]) -> None:
        raise _unsupported("add_order_to_folders")

    def remove_orders_from_folder(self, *, actor: Actor, folder_id: UUID, order_ids: Sequence[UUID]) -> None:
        raise _unsupported("remove_orders_from_folder")

    # --- Viewing and sharing -----------------------------------------------------------------------

    def view_url(
        self, *, actor: Actor, order_id: UUID | None = None, folder_id: UUID | None = None, client_ip: str
    ) -> ViewLink:
        """GetViewUrl / GetFolderViewUrl: a short-lived link bound to ``client_ip``."""
        raise _unsupported("view_url")

    def share_orders(
        self,
        *,
        actor: Actor,
        order_ids: Sequence[UUID],
        email: str = "",
        password_email: str = "",
        expires: dt.date | None = None,
        downloadable: bool = False,
    ) -> Share:
        """SharePatientOrder(…WithExpireDate) with an e-mail; CreateQuickShareLink without."""
        raise _unsupported("share_orders")

    def share_folder(
        self,
        *,
        actor: Actor,
        folder_id: UUID,
        audience: ShareAudience,
        password: str = "",
        title: str = "",
        description: str = "",
        expires: dt.date | None = None,
        downloadable: bool = False,
    ) -> Share:
        """ShareFolderWithEmail / WithURL / ToUpload… / WithAccountUser / WithAccountUserGroup."""
        raise _unsupported("share_folder")
