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
from typing import IO, TYPE_CHECKING, Protocol
from uuid import UUID

from django.utils.translation import gettext as _

from postdicom.errors import Unsupported
from postdicom.types import (
    ORDER_REQUIRED_FIELDS,
    Account,
    Anonymization,
    ApiKey,
    AuditEvent,
    AuditQuery,
    Capability,
    Contact,
    DicomFileSummary,
    DicomInstance,
    DicomNode,
    DicomNodeDraft,
    DicomQuery,
    DicomReadPurpose,
    DicomSeries,
    DicomStudy,
    Document,
    DocumentUpload,
    Flag,
    FlagDraft,
    FlagGroup,
    Folder,
    FolderListing,
    FolderShareOptions,
    FolderTree,
    Institution,
    InstitutionDraft,
    OrderDetail,
    OrderDraft,
    OrderFilter,
    OrderQuery,
    OrdersArchive,
    OrderStudies,
    OrderSummary,
    Page,
    RecycledOrder,
    Share,
    ShareAccessEntry,
    ShareAccessKind,
    ShareAudience,
    SharedFolderList,
    SharedFolderListing,
    ShareDoor,
    ShareOffer,
    ShareOpening,
    ShareOptions,
    ShareQuery,
    StoredInstances,
    Thumbnail,
    UploadBatchInfo,
    UploadFile,
    UploadReceipt,
    UploadReport,
    UserDraft,
    UserGroupInfo,
    UserInfo,
    UserQuery,
    ViewerContent,
    ViewLink,
    ViewLinkAccess,
    ViewLinkUse,
    ViewTarget,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    Actor = User


class Readable(Protocol):
    """A request body read in pieces: ``read(n)`` returns at most ``n`` bytes, b"" at the end."""

    def read(self, size: int = -1, /) -> bytes: ...


def _unsupported(name: str) -> Unsupported:
    return Unsupported(_("This server cannot do this (%(name)s).") % {"name": name.replace("_", " ")})


class PostDicomApi:
    """The contract. Subclasses override what they support; the rest raises ``Unsupported``."""

    # --- Capabilities ---------------------------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[Capability]:
        """The contract methods this backend implements (overrides), as ``Capability`` members."""
        return frozenset(
            capability
            for capability in Capability
            if getattr(type(self), capability.value) is not getattr(PostDicomApi, capability.value)
        )

    @property
    def order_filters(self) -> frozenset[OrderFilter]:
        """The ``OrderQuery`` filters ``search_orders`` applies (every one, unless a backend's
        server cannot): the order list offers only these, and a query using another is
        ``InvalidInput`` on that field rather than a list that looks filtered and is not."""
        return frozenset(OrderFilter)

    @property
    def required_order_fields(self) -> frozenset[str]:
        """The ``OrderDraft`` fields ``create_order`` and ``update_order`` refuse to leave
        empty (``InvalidInput`` on that field): ``ORDER_REQUIRED_FIELDS``, and those this
        backend's server requires besides. The order form marks and checks them."""
        return ORDER_REQUIRED_FIELDS

    @property
    def accession_numbers_unique(self) -> bool:
        """Whether ``create_order`` and ``update_order`` refuse an accession number another
        order of the institution has (``InvalidInput`` on ``accession_number``), so that the
        order form may say it is unique there. False: this backend does not promise it."""
        return True

    # --- Account and directory (Initialize, GetUserList, GetUserGroupList, …) ---------------------

    def account(self, *, actor: Actor) -> Account:
        """The actor, their role and institutions, and the users they can see (Initialize).
        Raises ``Forbidden`` for an inactive user."""
        raise _unsupported("account")

    def current_user(self, *, actor: Actor) -> UserInfo:
        """The actor as a ``UserInfo`` (role, institutions); ``Forbidden`` when inactive. A
        backend that cannot tell the actor's role says so (``role_known`` False) and gives the
        least one, ``LIMITED``."""
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

    def audit_log(self, *, actor: Actor, query: AuditQuery, export: bool = False) -> Page[AuditEvent]:
        """Administrators only; newest first. Events are never changed or deleted.
        ``query.action`` is one action ("order.viewed") or a family ("order"). A page may
        count only so far (``Page.total_is_lower_bound``) when very many events match. With
        ``export`` (a download of every page, page by page) any page may follow, and a page
        counts only far enough to tell whether another follows (``has_next``); reading page 1
        records the export itself."""
        raise _unsupported("audit_log")

    def record_authentication(self, *, username: str, user: Actor | None, event: str) -> None:
        """Record ``login``, ``logout``, ``login_failed``, ``locked_out``, ``password_changed`` or
        ``password_reset`` for ``username``; ``InvalidInput`` (``event``) for any other event."""
        raise _unsupported("record_authentication")

    # --- API keys ---------------------------------------------------------------------------------

    def list_api_keys(self, *, actor: Actor) -> tuple[ApiKey, ...]:
        """Administrators only; newest first, revoked keys included. A key acts with its
        user's rights; the secret itself is never returned again."""
        raise _unsupported("list_api_keys")

    def create_api_key(self, *, actor: Actor, name: str, user_id: UUID) -> tuple[ApiKey, str]:
        """Administrators only. Returns the key and its secret, which is shown once."""
        raise _unsupported("create_api_key")

    def revoke_api_key(self, *, actor: Actor, key_id: UUID) -> None:
        """Administrators only. The key stops working at once; revoking it again changes nothing."""
        raise _unsupported("revoke_api_key")

    # --- Orders -----------------------------------------------------------------------------------
    #
    # Who sees an order: administrators every order; staff the orders of their institutions;
    # limited users the orders assigned to them or to one of their groups, and the orders
    # they created or uploaded (later also those in folders shared with them). Deleted orders
    # (in the recycle bin) are hidden from everything but ``recycle_bin``, ``restore_order``
    # and ``purge_order``. An order the actor cannot see raises ``NotFound``; managing
    # (delete, restore, purge, link, assign, move, flag) needs staff or administrator, else
    # ``Forbidden``. Every change writes an audit event (``target_type`` "order").

    def create_order(self, *, actor: Actor, institution_id: UUID, draft: OrderDraft) -> OrderSummary:
        """CreateOrderWithMinimumParameters / FullParameters / FullParameters2 / WithJSON.

        Creates a ``scheduled`` order in ``institution_id`` (one of the actor's active
        institutions) and returns it. Any active user may create orders in their
        institutions. Raises ``InvalidInput`` with every problem at once, keyed by
        ``OrderDraft`` field names plus ``institution_id``: unknown/inactive/other
        institution, empty patient name, missing patient ID or modality, a modality that is
        not 1–16 upper-case letters/digits, ``order_time`` with seconds, a birth date in the
        future, an accession number longer than 16 characters or already used in the
        institution (recycle bin included), sex not M/F/O/"", a priority not in
        ``ORDER_PRIORITIES``, scheduled equipment that is not a node of the institution,
        text longer than ``ORDER_TEXT_LIMITS``. ``Forbidden`` for an inactive actor."""
        raise _unsupported("create_order")

    def update_order(self, *, actor: Actor, order_id: UUID, draft: OrderDraft) -> OrderSummary:
        """Change every patient and order property of a live order to those of ``draft`` (to
        fix a typo in a name or an ID) and return it. The institution, status, links and
        files stay; stored DICOM files keep the values they were sent with. Staff of the
        order's institution and administrators may edit (``OrderDetail.can_manage``). The
        draft is checked as ``create_order`` checks it, against the order's institution (its
        own accession number is no clash; an inactive institution is no obstacle), with the
        same ``InvalidInput`` keys. Saving the same values changes nothing; otherwise one
        audit event ``order.updated`` holds ``changes``: ``{field: [old, new]}``.
        ``NotFound`` (missing, deleted, hidden); ``Forbidden`` for limited users, staff who
        see it only through a shared folder, and an inactive actor."""
        raise _unsupported("update_order")

    def possible_duplicates(self, *, actor: Actor, institution_id: UUID, draft: OrderDraft) -> tuple[OrderSummary, ...]:
        """Open (not deleted) orders the actor can see that may be the same patient: the same
        patient ID in ``institution_id``, or the same name (ignoring case, accents and
        spacing) and birth date in any institution. Newest first, at most 20. Never raises
        for an incomplete draft: fields left empty are simply not compared."""
        raise _unsupported("possible_duplicates")

    def search_orders(self, *, actor: Actor, query: OrderQuery) -> Page[OrderSummary]:
        """GetPatientOrderList and its …WithDateRange, …WithBirthdate, …InFolder variants.

        The visible, not deleted orders matching every filter of ``query`` (see
        ``OrderQuery``), sorted by ``query.sort`` then newest first, one page with the total
        count. Raises ``InvalidInput`` for a patient name shorter than ``MIN_NAME_SEARCH``
        (field ``patient_name``), an unknown sort (``sort``) or reversed date ranges
        (``date_to``, ``birth_date_to``), or a ``folder_id`` that is not one of the actor's
        folders (``folder_id``), or for a filter outside ``order_filters`` (on that field:
        never ignored); ``Unsupported`` for ``folder_id`` on a backend without folders."""
        raise _unsupported("search_orders")

    def order_properties(self, *, actor: Actor, order_id: UUID) -> OrderDetail:
        """GetPatientOrderProperties: every property, studies, documents, folders, flags,
        assignments, linked orders and the audit history. ``NotFound`` when the order is
        missing, deleted or hidden from the actor."""
        raise _unsupported("order_properties")

    def patient_orders(self, *, actor: Actor, order_id: UUID) -> tuple[OrderStudies, ...]:
        """The same patient's other live orders that the actor may see, newest first, each
        with its studies: the priors a radiologist compares with. The patient is the order's
        Patient ID within its institution (an order without one has no priors). ``NotFound``
        when the order is missing, deleted or hidden from the actor."""
        raise _unsupported("patient_orders")

    def open_viewer(self, *, actor: Actor, order_id: UUID) -> ViewerContent:
        """What the image viewer shows for one order (its studies, documents and the
        patient's other orders, as ``patient_orders``), recording ``order.viewer_opened``
        in the audit trail. ``NotFound`` when the order is missing, deleted or hidden."""
        raise _unsupported("open_viewer")

    def delete_order(self, *, actor: Actor, order_id: UUID) -> None:
        """DeleteOrder: move to the recycle bin, keeping flags, assignments, folders and
        links. ``NotFound`` (missing, hidden, already deleted); ``Forbidden`` for limited
        users."""
        raise _unsupported("delete_order")

    def restore_order(self, *, actor: Actor, order_id: UUID) -> None:
        """Take an order out of the recycle bin with everything intact. An order that is not
        deleted is left as it is. ``NotFound`` (missing, hidden); ``Forbidden`` for limited
        users."""
        raise _unsupported("restore_order")

    def purge_order(self, *, actor: Actor | None, order_id: UUID) -> None:
        """Remove a deleted order and its files for good: the purge task when its time has
        come (``actor`` None, which sees every order), or an administrator at once (an
        erasure request; ``RecycledOrder.can_purge``). The audit event ``order.purged`` says
        who (``by_task``) and how many files went (``files_removed``). ``NotFound``
        (missing, hidden); ``Forbidden`` for staff and limited users; ``InvalidInput`` when
        the order is not in the recycle bin."""
        raise _unsupported("purge_order")

    def recycle_bin(self, *, actor: Actor, page: int = 1, page_size: int = 50) -> Page[RecycledOrder]:
        """Deleted orders the actor can see, most recently deleted first, each with the time
        it will be purged and whether the actor may purge it now. ``Forbidden`` for limited
        users."""
        raise _unsupported("recycle_bin")

    def recycled_order(self, *, actor: Actor, order_id: UUID) -> RecycledOrder:
        """One order of the recycle bin, as ``recycle_bin`` lists it (for a page that asks
        before purging it). ``NotFound`` when it is missing, hidden or not deleted;
        ``Forbidden`` for limited users."""
        raise _unsupported("recycled_order")

    def link_orders(self, *, actor: Actor, order_ids: Sequence[UUID], confirm_different_patients: bool = False) -> UUID:
        """CreateOrderGroup: put these orders (two or more, one institution) in a new link
        group and return its id. Orders leave the group they were in; a group left with one
        order dissolves. ``InvalidInput`` (``order_ids``) for fewer than two orders or
        several institutions; (``DIFFERENT_PATIENTS``, naming each patient) for orders of
        different patients (patient IDs that differ, ignoring case and spacing) unless
        ``confirm_different_patients``; ``NotFound`` if any order is hidden; ``Forbidden``
        for limited users."""
        raise _unsupported("link_orders")

    def add_to_order_group(
        self, *, actor: Actor, group_id: UUID, order_ids: Sequence[UUID], confirm_different_patients: bool = False
    ) -> None:
        """AddOrdersToOrderGroup: add orders (of the group's institution) to an existing link
        group; orders already in it are skipped, orders of another group leave it.
        ``NotFound`` for a group or order the actor cannot see; ``InvalidInput``
        (``order_ids``) for no orders or another institution; (``DIFFERENT_PATIENTS``) as
        ``link_orders``, comparing the new orders with the group's; ``Forbidden`` for limited
        users."""
        raise _unsupported("add_to_order_group")

    def unlink_orders(self, *, actor: Actor, order_ids: Sequence[UUID]) -> None:
        """RemoveOrdersFromGroup: take these orders out of their link groups; a group left
        with one order dissolves. Orders in no group are skipped. ``NotFound`` /
        ``Forbidden`` as for ``link_orders``."""
        raise _unsupported("unlink_orders")

    def assign_order(
        self, *, actor: Actor, order_id: UUID, user_id: UUID | None = None, group_id: UUID | None = None
    ) -> None:
        """AssignPatientOrderToUser / …ToUserGroup: give exactly one of ``user_id`` (an
        active user of the order's institution) or ``group_id`` (a user group). Assigning
        twice changes nothing. ``InvalidInput`` (``user_id``/``group_id``) for none, both or
        an unsuitable target; ``NotFound`` (order); ``Forbidden`` for limited users."""
        raise _unsupported("assign_order")

    def unassign_order(
        self, *, actor: Actor, order_id: UUID, user_id: UUID | None = None, group_id: UUID | None = None
    ) -> None:
        """UnassignPatientOrderFromUser / …FromUserGroup; exactly one of the two. Removing
        an assignment that does not exist changes nothing. Errors as ``assign_order``."""
        raise _unsupported("unassign_order")

    def move_order_to_institution(self, *, actor: Actor, order_id: UUID, institution_id: UUID) -> None:
        """AssignPatientOrderToLocation: move the order to another of the actor's active
        institutions. Its scheduled equipment (a node of the old institution) is cleared and
        it leaves its link group. ``InvalidInput`` (``institution_id``) for an institution
        that is not the actor's or inactive, or whose orders already use the accession
        number; ``NotFound`` (order); ``Forbidden`` for limited users."""
        raise _unsupported("move_order_to_institution")

    def set_order_flag(self, *, actor: Actor, order_id: UUID, group_id: UUID, flag_id: UUID | None) -> None:
        """SetFlagToPatientOrder: the order's flag in flag group ``group_id`` becomes
        ``flag_id`` (replacing the previous one: at most one flag per group); ``flag_id``
        None clears it. ``InvalidInput`` (``group_id``/``flag_id``) for an unknown group or
        a flag of another group; ``NotFound`` (order); ``Forbidden`` for limited users."""
        raise _unsupported("set_order_flag")

    # --- Files: uploads and documents -----------------------------------------------------------
    #
    # Any active user may upload DICOM files into one of their active institutions. An upload
    # (a batch) is seen by the user who started it and by administrators; for anyone else its
    # id raises ``NotFound``. Files are received first, then stored by background workers:
    # each file gets its own outcome (``UploadOutcome``) and one bad file never fails the
    # batch. A file joins only a live order of the batch's institution that the uploader
    # already sees: the one with its Study Instance UID, else the one with its accession
    # number (a scheduled one's status becomes "images received"); else it makes a new order
    # created by the uploader (an upload never grants sight of an order). In that order a SOP
    # Instance UID is stored once: the same image again (same bytes or pixel data) is a
    # ``DUPLICATE``, another image under it a ``CONFLICT``; patient details that differ from
    # the order's are a warning. With a folder, the orders are filed into it at the end.
    # Documents can be attached to, and read from, any order the actor can see.

    def read_dicom_files(
        self, *, actor: Actor, files: Sequence[UploadFile], institution_id: UUID | None = None
    ) -> tuple[DicomFileSummary, ...]:
        """ReadDicomFiles: what each file holds, in the order given, without storing anything.

        A file that is not usable DICOM gets ``readable`` False and the reason; a DICOMDIR is
        ``skipped``. With ``head_only`` files only the header is read (a header longer than
        what was sent is "checked when sent"). Each readable file names the existing order it
        would join (``order``) if uploaded by the actor into ``institution_id``, exactly as
        ``upload_dicom`` decides (none without an institution), and ``accession_taken`` when
        the new order it makes must go without its accession number (None when the backend
        cannot tell: then nobody is told either way). ``Forbidden`` for an inactive actor."""
        raise _unsupported("read_dicom_files")

    def upload_dicom(
        self,
        *,
        actor: Actor,
        institution_id: UUID,
        files: Sequence[UploadFile],
        folder_id: UUID | None = None,
        anonymize: Anonymization | None = None,
        store_now: bool = False,
    ) -> UploadReceipt:
        """UploadDicomFiles, …IntoFolder, …WithAnonymization, …IntoFolderWithAnonymization.

        Takes files already on local disk (the service moves them away; ZIP archives are
        expanded), queues their storing and returns the batch to follow with
        ``upload_report``. With ``store_now`` the files are stored in this call, as a worker
        would store them, and the batch is done when it returns (for callers that answer with
        the outcome: DICOMweb STOW-RS) and the receipt's ``files`` are their outcomes. The
        local backend does it in one transaction: the call returns with every outcome, or
        fails having kept nothing (the caller was told nothing was stored and sends again;
        ``Unavailable`` when the order it joined was purged meanwhile); with a ZIP archive
        among the files it stores batch-wise, and should it die half-way the workers' sweep
        finishes the batch. ``InvalidInput`` for no files, a missing file, and as
        ``start_upload``."""
        raise _unsupported("upload_dicom")

    def start_upload(
        self,
        *,
        actor: Actor,
        institution_id: UUID,
        folder_id: UUID | None = None,
        anonymize: Anonymization | None = None,
    ) -> UploadBatchInfo:
        """Open a batch for files sent one or a few at a time (``add_upload_files``, then
        ``finish_upload``). ``InvalidInput`` with every problem at once: ``institution_id``
        (not one of the actor's active institutions), ``folder_id`` (not the actor's folder),
        and per replacement tag (a tag not in ``ANONYMIZATION_TAGS``, control characters, a
        date that is not a date). ``Forbidden`` for an inactive actor.

        Started inside ``postdicom.context.only_orders`` (an outside share's upload page, which
        acts as the share's owner), the batch's files join no existing order, only the orders
        the batch itself makes: the visitor sending them sees none of the owner's orders."""
        raise _unsupported("start_upload")

    def add_upload_files(self, *, actor: Actor, batch_id: UUID, files: Sequence[UploadFile]) -> UploadBatchInfo:
        """Whole files already on local disk join an open batch; the service moves them away
        (the caller must not use the paths again) and queues their storing at once, exactly
        as ``upload_dicom`` stores its files (ZIP archives are expanded). Files may be added
        many times before ``finish_upload``; a name the batch already has gets a " (2)".
        ``InvalidInput`` for no files, a missing file or a finished batch; ``NotFound`` for
        another's batch. ``Unavailable`` when the storing could not be queued: the files
        whose paths are gone were taken all the same (nothing is lost; the workers' sweep
        queues them), those still there were not.

        The browser's resumable, chunked protocol is the portal's own (``portal.staging``):
        it assembles each file and hands it over here once it is whole."""
        raise _unsupported("add_upload_files")

    def finish_upload(self, *, actor: Actor, batch_id: UUID) -> UploadBatchInfo:
        """Close an open batch (no more files) and queue the rest of its work; the batch is
        done when every added file is stored. Finishing twice changes nothing. ``NotFound``."""
        raise _unsupported("finish_upload")

    def upload_report(self, *, actor: Actor, batch_id: UUID, page: int = 1, page_size: int = 100) -> UploadReport:
        """Progress and outcome of a batch, with one page of its files. ``NotFound``."""
        raise _unsupported("upload_report")

    def upload_progress(self, *, actor: Actor, batch_id: UUID) -> UploadBatchInfo:
        """Where a batch stands (its state and counts), without its files or orders: cheap
        enough to ask every few milliseconds while waiting for it (DICOMweb STOW-RS answers
        once the batch is done). Records nothing. ``NotFound``."""
        raise _unsupported("upload_progress")

    def upload_documents(self, *, actor: Actor, order_id: UUID, files: Sequence[UploadFile]) -> DocumentUpload:
        """UploadDocumentFiles: attach PDF, JPEG, PNG, BMP or MP4 files to the order, each
        recognised by its content. Each file on its own: the accepted ones are stored even when
        others are refused, and each refused file is named with its reason (what it looks like,
        empty, larger than ``settings.RAYPORT_DOCUMENT_MAX_BYTES``). ``InvalidInput``
        (``files``) for no files; ``NotFound`` for an order the actor cannot see. Each document
        writes an audit event."""
        raise _unsupported("upload_documents")

    def open_document(
        self, *, actor: Actor, order_id: UUID, document_id: UUID, download: bool = False
    ) -> tuple[Document, IO[bytes]]:
        """A document of a visible order and its content, opened for reading (the caller
        closes it). The content is seekable, and seeking before reading is cheap on every
        storage, so serving a byte range reads only that range. ``NotFound`` for an order the
        actor cannot see or a document not on it. The read is audited (``download`` says
        whether it was saved rather than opened in the browser), once per actor, document and
        way within a few minutes, so the many range requests of one video are one read."""
        raise _unsupported("open_document")

    def delete_document(self, *, actor: Actor, order_id: UUID, document_id: UUID) -> Document:
        """Remove a document from an order for good (the file is deleted from storage once the
        removal commits) and return what was removed; writes an audit event naming it. Staff
        of the order's institution and administrators may (``Document.can_delete``).
        ``NotFound`` for an order the actor cannot see or a document not on it; ``Forbidden``
        for anyone else who sees it."""
        raise _unsupported("delete_document")

    def open_orders_archive(self, *, actor: Actor, order_ids: Sequence[UUID]) -> OrdersArchive:
        """Everything stored for these orders, as the entries of one archive to stream (a
        study or a selection of orders downloaded as a ZIP): a DICOMDIR (PS3.10, made from
        the index) that lists every stored image, the images under ``DICOM/`` named with
        8-character file IDs (``DICOM/P0000001/S0000001/SE000001/I0000001``), and the
        documents of each order under ``DOCUMENTS/<order>/`` with their given names made safe
        for every operating system. Nothing is read here: each entry opens its file when the
        archive is written, so any size streams in constant memory.

        The orders must all be visible to the actor (the rule of ``search_orders``; one hidden,
        missing or deleted order: ``NotFound``, and nothing is recorded). ``InvalidInput``
        (``order_ids``) for no orders or more than ``ARCHIVE_ORDERS_MAX``; ``InvalidInput``
        (the input as a whole) saying there is nothing to download when the orders have no
        stored image and no document, never an empty archive (nothing is recorded then).
        Writes one audit event (``order.downloaded``) per order, with how many images and
        documents it gave."""
        raise _unsupported("open_orders_archive")

    # --- Stored images (what DICOMweb serves) ------------------------------------------------
    #
    # The studies of the orders the actor may see (the same rule as ``search_orders``: other
    # institutions, orders a limited user is not given and orders in the recycle bin are
    # hidden), and only instances whose file is stored. A study, series or instance the actor
    # cannot see is ``NotFound``, never ``Forbidden``: its existence is not revealed.
    # ``Forbidden`` for an inactive or anonymous actor.

    def search_studies(self, *, actor: Actor, query: DicomQuery) -> tuple[DicomStudy, ...]:
        """QIDO-RS ``/studies``: the visible studies matching ``query``, newest study date
        first, from ``query.offset``, at most ``query.limit``. Studies without a stored
        instance are left out. ``InvalidInput`` for a limit or offset out of range."""
        raise _unsupported("search_studies")

    def search_series(self, *, actor: Actor, study_uid: str, query: DicomQuery) -> tuple[DicomSeries, ...]:
        """QIDO-RS ``/studies/{study}/series``: the series of a visible study matching
        ``query``, by series number. ``NotFound`` for a study the actor cannot see."""
        raise _unsupported("search_series")

    def search_instances(
        self, *, actor: Actor, study_uid: str, series_uid: str | None, query: DicomQuery
    ) -> tuple[DicomInstance, ...]:
        """QIDO-RS ``/studies/{study}[/series/{series}]/instances``: the stored instances of a
        visible study (or of one of its series) matching ``query``. ``NotFound`` for a study
        or series the actor cannot see."""
        raise _unsupported("search_instances")

    def find_study(self, *, actor: Actor, series_uid: str | None = None, sop_instance_uid: str | None = None) -> str:
        """The Study Instance UID of a visible study holding the series ``series_uid`` and/or
        the stored instance ``sop_instance_uid`` (PostDICOM's flat DICOMweb paths name only
        those). ``NotFound`` when no visible study holds them."""
        raise _unsupported("find_study")

    def open_instances(
        self,
        *,
        actor: Actor,
        study_uid: str,
        series_uid: str | None = None,
        sop_instance_uid: str | None = None,
        purpose: DicomReadPurpose,
    ) -> StoredInstances:
        """WADO-RS: the stored instances of a visible study, of one of its series, or one
        instance, ready to be opened one at a time (files are never read here). ``NotFound``
        when the study, series or instance is not there or not visible, or has no stored
        instance. Reading a whole study or series (``purpose`` RETRIEVE or METADATA) writes
        one audit event on its order; single instances, frames and rendered images do not
        (a viewer reads hundreds)."""
        raise _unsupported("open_instances")

    # --- Folders --------------------------------------------------------------------------------
    #
    # Every user (limited ones too) has a private tree of folders; nobody else sees or changes
    # it, administrators included: someone else's folder raises ``NotFound``, unless its owner
    # shared it with the actor or one of their groups (``share_folder``): then the actor sees
    # it and the folders below it, and with the right to edit also files and removes orders
    # in them and creates and renames folders inside it (``Forbidden`` when shared to view
    # only); moving and deleting stay the owner's. Filing an order in a folder
    # never changes the order, so any active user may file the orders they can see; a folder
    # never shows, or counts, an order its owner may no longer see or one in the recycle bin.
    # Names are one line of at most ``FOLDER_NAME_MAX`` characters, unique among siblings
    # ignoring case; a tree is at most ``FOLDER_DEPTH_MAX`` levels deep. Every change writes an
    # audit event (``target_type`` "folder"). ``Forbidden`` for an inactive actor.

    def create_folder(self, *, actor: Actor, name: str, parent_id: UUID | None = None, description: str = "") -> Folder:
        """CreateFolder / CreateFolderWithDescription.

        Creates ``name`` inside ``parent_id`` (None: at the top level). A name with "/" makes
        one level per part ("Cardiology/2026/March"): existing levels are reused, missing ones
        created; the description goes to the last level. Parts are trimmed and empty parts
        dropped. Returns the last level with its ancestors (its counts are 0: see
        ``get_folder``). A parent shared with the actor with the right to edit gets the new
        folders in its owner's tree. Raises ``NotFound`` for a parent that is not the actor's
        nor shared with them, ``Forbidden`` for one shared to view only;
        ``InvalidInput`` (``name``) for a name that is empty or made only of slashes and
        spaces, a part that is too long or has control characters, a last level that already
        exists, or a tree that would get too deep; (``description``) for a description longer
        than ``FOLDER_DESCRIPTION_MAX``."""
        raise _unsupported("create_folder")

    def update_folder(self, *, actor: Actor, folder_id: UUID, name: str, description: str) -> Folder:
        """UpdateFolderWithJSON: rename the folder and/or change its description (a change of
        case only is a rename too). Returns the folder with its ancestors, without counts. A
        folder inside one shared with the actor with the right to edit may be renamed too (not
        the shared folder itself: ``Forbidden``). Raises ``NotFound`` (not the actor's nor
        shared with them); ``InvalidInput`` (``name``) for an empty name,
        a name with "/", control characters or too long, or one a sibling already has;
        (``description``) for a description too long."""
        raise _unsupported("update_folder")

    def move_folder(self, *, actor: Actor, folder_id: UUID, parent_id: UUID | None) -> Folder:
        """Move the folder, with everything below it, under ``parent_id`` (None: the top
        level). Moving to where it already is changes nothing. Returns the folder with its new
        ancestors, without counts. Raises ``NotFound`` for a folder or parent that is not the
        actor's; ``InvalidInput`` (``parent_id``) for a parent that is the folder itself or
        below it, a destination with a sub-folder of the same name, or a tree that would get
        too deep."""
        raise _unsupported("move_folder")

    def delete_folder(self, *, actor: Actor, folder_id: UUID) -> None:
        """DeleteFolder: delete the folder and every folder below it. The orders filed in
        them only leave those folders; no order is deleted. ``NotFound`` (not the actor's)."""
        raise _unsupported("delete_folder")

    def get_folder(self, *, actor: Actor, folder_id: UUID) -> Folder:
        """One of the actor's folders with its counts and ancestors. ``NotFound`` otherwise."""
        raise _unsupported("get_folder")

    def list_folders(
        self, *, actor: Actor, parent_id: UUID | None = None, name: str = "", with_orders: bool = False
    ) -> FolderListing:
        """GetFolderList (SearchFolder): the sub-folders of ``parent_id`` (None: the top
        level) with their counts, by name; with ``name``, only those whose name contains it
        (ignoring case and accents). With ``with_orders``, also every order filed in ``parent_id`` that
        the actor can see (none at the top level), newest first. ``NotFound`` for a parent
        that is not the actor's."""
        raise _unsupported("list_folders")

    def folder_tree(self, *, actor: Actor, with_counts: bool = True) -> FolderTree:
        """The actor's whole tree, depth first, with ancestors; with ``with_counts`` every
        folder's counts too (a few queries whatever the size of the tree)."""
        raise _unsupported("folder_tree")

    def search_folders(self, *, actor: Actor, text: str, limit: int = 50) -> tuple[Folder, ...]:
        """The actor's folders at any depth whose name contains ``text`` (ignoring case and
        spacing), with counts and ancestors, by path; at most ``limit``. Empty ``text``
        finds nothing."""
        raise _unsupported("search_folders")

    def order_folders(self, *, actor: Actor, order_id: UUID) -> tuple[Folder, ...]:
        """The actor's folders the order is filed in, by path, with ancestors but without
        counts. ``NotFound`` when the order is missing, deleted or hidden from the actor."""
        raise _unsupported("order_folders")

    def add_order_to_folders(self, *, actor: Actor, order_id: UUID, folder_ids: Sequence[UUID]) -> int:
        """AddOrderToFolder: file the order in each of ``folder_ids``; folders that already
        hold it are skipped. Returns in how many folders it was newly filed. Raises
        ``InvalidInput`` (``folder_ids``) for an empty list; ``NotFound`` for an order the
        actor cannot see (or in the recycle bin) or a folder that is neither theirs nor shared
        with them; ``Forbidden`` for a folder shared with them to view only."""
        raise _unsupported("add_order_to_folders")

    def remove_orders_from_folder(self, *, actor: Actor, folder_id: UUID, order_ids: Sequence[UUID]) -> int:
        """RemoveOrderFromFolder: take the orders out of the folder (the orders stay).
        Orders not in it are skipped. Returns how many left it. Raises ``InvalidInput``
        (``order_ids``) for an empty list; ``NotFound`` for a folder that is neither the
        actor's nor shared with them, or an order the actor cannot see; ``Forbidden`` for a
        folder shared with them to view only."""
        raise _unsupported("remove_orders_from_folder")

    def study_thumbnail(self, *, actor: Actor, order_id: UUID, study_uid: str | None = None) -> Thumbnail | None:
        """A small picture of one of the order's studies (``study_uid``, else the first that
        has one), made from a middle image of its first series on first request (or by the
        ingest worker) and kept in storage, so a list of orders never decodes DICOM. None when
        the order has no image that can be drawn. ``NotFound`` for an order the actor cannot
        see, or a study not in it. Not audited: a picture the size of an icon, like DICOMweb
        thumbnails."""
        raise _unsupported("study_thumbnail")

    # --- Viewing and sharing -----------------------------------------------------------------------

    def view_url(
        self, *, actor: Actor, target: ViewTarget, client_ip: str, lifetime: dt.timedelta | None = None
    ) -> ViewLink:
        """GetViewUrl, …WithPatientName, …WithPatientNameAndBirthDate, GetFolderViewUrl: a link
        to the viewer for ``target`` that works without signing in, only from ``client_ip``,
        for ``lifetime`` (``VIEW_LINK_LIFETIME`` by default, between ``VIEW_LINK_LIFETIME_MIN``
        and ``…_MAX``). Whoever opens it acts as ``actor`` but reaches only the target's orders
        (``only_orders``): an order or a patient's orders as the actor saw them now; a folder's
        orders as the actor sees them when the link is opened. The answer's ``url`` holds the
        secret token, kept nowhere else (only its SHA-256). ``NotFound`` for an order or folder
        the actor cannot see; ``InvalidInput`` for a patient with no order the actor sees, a bad
        address or lifetime, or a target that is not exactly one thing."""
        raise _unsupported("view_url")

    def view_links(self, *, actor: Actor) -> tuple[ViewLink, ...]:
        """The actor's own view links that have not expired (revoked ones too), newest first,
        without their URLs."""
        raise _unsupported("view_links")

    def revoke_view_link(self, *, actor: Actor, link_id: UUID) -> None:
        """End one of the actor's view links: the next request through it is refused.
        ``NotFound`` for a link that is not the actor's; revoking twice changes nothing."""
        raise _unsupported("revoke_view_link")

    def open_view_link(self, *, token: str, client_ip: str, use: ViewLinkUse) -> ViewLinkAccess:
        """The view link whose secret is ``token``, opened from ``client_ip``: refused
        (unknown, expired, revoked, from another address, or withdrawn), or the user to act as
        and the orders the link reaches now. Called on every request through the link, so a
        revocation counts at once. Opening the page (``ViewLinkUse.PAGE``) and every refusal
        are audited (refused image requests at most once per link, address and ten minutes)."""
        raise _unsupported("open_view_link")

    def share_orders(
        self, *, actor: Actor, order_ids: Sequence[UUID], audience: ShareAudience, options: ShareOptions
    ) -> Share:
        """SharePatientOrder / …WithExpireDate (``audience.email``), CreateQuickShareLink /
        …WithExpireDate (``audience.link``): share orders the actor sees with someone outside
        the account, through the link ``/s/<token>/`` and ``options`` (password, expiry,
        downloads, open limit, …). Any active user may share the orders they can see; the link
        shows at each open only what the actor (its owner) still sees then. With an e-mail
        address the link is e-mailed once the transaction commits (the password separately to
        ``audience.password_email`` when given, else in the same mail). Returns the share with
        its ``url`` and, when generated, ``new_password`` (the only time either is told).
        ``NotFound`` for an order the actor cannot see (or in the recycle bin);
        ``InvalidInput`` for no order or too many (``order_ids``), an upload-only or account
        audience (``audience``), a bad address (``email``, ``password_email``), a past
        ``expires``, an ``open_limit`` below 1, an unknown ``language``, a title or message too
        long, a weak typed ``password``. Writes ``share.created``."""
        raise _unsupported("share_orders")

    def share_offer(self, *, actor: Actor, folder: bool = False) -> ShareOffer:
        """The outside shares the actor may ask this backend for, of orders or (``folder``) of
        a folder: the kinds it makes, each kind it does not with why, and the share options
        it cannot honour with why. ``share_orders`` and ``share_folder`` refuse what it
        refuses as ``Unsupported``; the share dialog offers only the rest, saying why.
        ``Forbidden`` for an inactive actor."""
        raise _unsupported("share_offer")

    def share_folder(
        self,
        *,
        actor: Actor,
        folder_id: UUID,
        audience: ShareAudience,
        expires: dt.date | None = None,
        may_edit: bool = False,
        may_reshare: bool = False,
        includes_restricted_orders: bool = False,
        options: ShareOptions | None = None,
    ) -> tuple[Share, ...]:
        """ShareFolderWithEmail / WithURL / ToUploadWithEmail / ToUploadWithUrl /
        WithAccountUser / WithAccountUserGroup.

        With account users and/or user groups (``audience.user_ids``, ``group_ids``): one
        share per recipient, returned in the order given (users first). Recipients see the
        folder and every folder below it under "Shared with me" / "Shared with my groups";
        ``may_edit`` lets them file and remove orders and create and rename folders inside it,
        ``may_reshare`` lets them share it further (never with more rights, nor for longer,
        than their own), ``includes_restricted_orders`` lets them see the orders filed there
        that their role would hide (as far as the owner sees them). ``expires`` is the last
        day the share works (a re-share without one ends with its sharer's access). Sharing
        again with a recipient who has the folder changes that share.

        The owner may share any of their folders (limited users without restricted orders);
        a recipient only a folder shared with them with ``may_reshare``. Raises ``NotFound``
        for a folder that is neither; ``Forbidden`` when the actor's share does not allow
        re-sharing; ``InvalidInput`` for no recipient (``user_ids``), a recipient the actor
        may not choose, themselves or the owner (``user_ids``, ``group_ids``), a recipient
        who already has the folder from someone else, a past ``expires`` or one after the
        re-sharer's own access ends (``expires``), or rights the actor does not have
        (``may_edit``, ``includes_restricted_orders``). Writes one audit event per share made
        or changed.

        With an outside audience (e-mail, link, upload-only by e-mail or link): one share,
        made with ``options`` (``expires`` is ``options.expires``), as ``share_orders`` does
        for orders. A viewing share shows, at each open, the orders filed in the folder and
        below it that the owner then sees; an upload-only share shows nothing and takes files
        into the folder. Only the folder's owner may share it outside the account (a
        recipient: ``Forbidden``). ``InvalidInput`` as ``share_orders``, and for account and
        outside recipients at once; ``Unsupported`` for audiences a backend cannot serve."""
        raise _unsupported("share_folder")

    def folder_share_options(self, *, actor: Actor, folder_id: UUID) -> FolderShareOptions:
        """What the share dialog of a folder offers the actor: the colleagues and groups they
        may share it with and the most they may grant. ``NotFound`` / ``Forbidden`` as
        ``share_folder``."""
        raise _unsupported("folder_share_options")

    def folder_shares(self, *, actor: Actor, folder_id: UUID) -> tuple[Share, ...]:
        """The shares of the folder that are not revoked (expired ones marked ``expired``),
        oldest first: all of them for its owner, those the actor made for a recipient.
        ``NotFound`` for a folder that is neither the actor's nor shared with them."""
        raise _unsupported("folder_shares")

    def revoke_folder_share(self, *, actor: Actor, share_id: UUID) -> None:
        """End a folder share now, and every share re-shared through it. The folder's owner
        may revoke any of its shares, a re-sharer those they made; revoking twice changes
        nothing. ``NotFound`` for a share the actor does not know of; ``Forbidden`` for a
        recipient of the folder who did not make it. Writes an audit event per share."""
        raise _unsupported("revoke_folder_share")

    def shared_folders(self, *, actor: Actor) -> SharedFolderList:
        """The folders shared with the actor, and with the actor's groups, that work today
        (not revoked, not expired, owner active), by name, with their owner, who shared them
        and what the actor may do in them."""
        raise _unsupported("shared_folders")

    def get_shared_folder(self, *, actor: Actor, folder_id: UUID) -> SharedFolderListing:
        """A folder shared with the actor (or a folder below one), with its counts (orders
        the actor may see), its sub-folders and the actor's rights in it; its ancestors start
        at the shared folder. ``NotFound`` when it is not shared with the actor (their own
        folders: ``get_folder``)."""
        raise _unsupported("get_shared_folder")

    # --- Shares with outside people: the owner's side ---------------------------------------------
    #
    # A share's creator and administrators (every share of the account) manage it; anyone else
    # gets ``NotFound``. ``share_id`` of an account folder share also works for ``get_share``,
    # ``list_shares`` and ``revoke_share`` (one list of everything the actor shared).

    def list_shares(self, *, actor: Actor, query: ShareQuery | None = None) -> Page[Share]:
        """Every share the actor made (outside shares and folder shares with colleagues and
        groups), newest first; with ``query.everyone``, every share of the account
        (administrators only: ``Forbidden`` otherwise)."""
        raise _unsupported("list_shares")

    def get_share(self, *, actor: Actor, share_id: UUID) -> Share:
        """One share the actor made (administrators: any). ``NotFound`` otherwise."""
        raise _unsupported("get_share")

    def update_share(
        self,
        *,
        actor: Actor,
        share_id: UUID,
        expires: dt.date | None,
        downloadable: bool,
        open_limit: int | None,
        new_password: str = "",
        generate_password: bool = False,
    ) -> Share:
        """Change an outside share's last day, downloads and open limit, and with
        ``new_password`` or ``generate_password`` replace its password (a generated one is
        returned once as ``new_password``; the new password is e-mailed to the share's
        password address, or its address, when it has one). Takes effect on the visitor's
        next request. ``InvalidInput`` as ``share_orders``; ``Forbidden`` for a revoked share
        or an account folder share (change those on the folder). Writes ``share.changed``."""
        raise _unsupported("update_share")

    def revoke_share(self, *, actor: Actor, share_id: UUID) -> None:
        """End a share now: the link stops working on the visitor's very next request (an
        account folder share: as ``revoke_folder_share``). Revoking twice changes nothing.
        Writes ``share.revoked``."""
        raise _unsupported("revoke_share")

    def resend_share_email(self, *, actor: Actor, share_id: UUID) -> Share:
        """E-mail an e-mail share's link again: the same link, which keeps working (the
        password is not sent again). A share whose link cannot be rebuilt (made before links
        could be, or the server's key changed since) gets a new link instead. Returns the
        share. ``InvalidInput`` for a link share (no address), ``Forbidden`` for a revoked,
        expired or used-up share. Writes ``share.email_resent``."""
        raise _unsupported("resend_share_email")

    def share_access_log(self, *, actor: Actor, share_id: UUID, limit: int = 200) -> tuple[ShareAccessEntry, ...]:
        """What visitors did with an outside share, newest first, at most ``limit``."""
        raise _unsupported("share_access_log")

    # --- Shares with outside people: the visitor's side -----------------------------------------
    #
    # No actor: a visitor has only the link's ``token`` (and maybe a password). An unknown
    # token is refused as a wrong password would be. Each of these reads the share afresh, so
    # a revocation or a new expiry counts at the visitor's very next request.

    def share_status(self, *, token: str, client_ip: str | None = None) -> ShareDoor:
        """What the link's first page needs (works or why not, needs a password, title,
        language); counts nothing. With ``client_ip`` (the door shown to a visitor) a share
        that no longer works logs the refused visit as ``open_share`` does; without it
        (only the page's language wanted), nothing is logged."""
        raise _unsupported("share_status")

    def open_share(self, *, token: str, password: str, client_ip: str) -> ShareOpening:
        """Open a share with its password: what it covers and the owner to act as, or why
        not (unknown link or wrong password alike, expired, revoked, used up, locked with the
        seconds to wait). A wrong password counts towards the lock
        (``SHARE_FAILURES_BEFORE_LOCK`` in a row lock it for ``SHARE_LOCK_SECONDS``, even for
        the right password); a right one resets the count, counts an open (refused once
        ``open_limit`` opens were made) and, on the first open, e-mails the owner if asked.
        Every outcome on a known share is in its access log and the audit trail; a visit
        refused as revoked, expired or used up is logged as ``refused`` (reason as detail,
        audited ``share.refused``), once per share, reason and address within ten minutes."""
        raise _unsupported("open_share")

    def reopen_share(self, *, token: str, client_ip: str) -> ShareOpening:
        """The share as ``open_share`` gives it, for a later request of a visitor whose
        session already opened it (the page keeps that; this does not ask for the password
        and counts no open, so a share used up by that very open keeps working for them).
        Refused when revoked or expired since, and that refusal logged as ``open_share``'s."""
        raise _unsupported("reopen_share")

    def log_share_access(
        self, *, token: str, client_ip: str, kind: ShareAccessKind, order_id: UUID | None = None, detail: str = ""
    ) -> None:
        """Record that a visitor viewed or downloaded (``kind``) something of a share: its
        access log, and the audit trail (``share.viewed``, ``share.downloaded``) naming the
        order. ``InvalidInput`` for another ``kind``; nothing for an unknown token."""
        raise _unsupported("log_share_access")

    def record_share_upload(self, *, token: str, client_ip: str, file_count: int, batch_id: UUID | None = None) -> None:
        """The public upload page received ``file_count`` files through an upload-only share
        (``batch_id``: the upload it made as the owner): logged, audited
        (``share.uploaded``), and e-mailed to the owner once per call. ``InvalidInput`` for a
        share that is not upload-only; nothing for an unknown token."""
        raise _unsupported("record_share_upload")
