"""Values that cross the service-layer boundary.

Frozen dataclasses only: no ORM object leaks out of a backend, so a page renders the same
whether the data came from the local database or from PostDICOM over HTTP. Ids are UUIDs.
Inputs (``…Draft``, ``…Query``) are built by forms from ``cleaned_data``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from functools import cached_property
from typing import IO, Any, Generic, TypeVar
from urllib.parse import quote, unquote
from uuid import UUID

T = TypeVar("T")


class Role(StrEnum):
    """What a user may do. Administrators manage the account; staff see every order of
    their institutions; limited users see only what is assigned or shared to them and what
    they uploaded themselves."""

    ADMINISTRATOR = "administrator"
    STAFF = "staff"
    LIMITED = "limited"


class Capability(StrEnum):
    """What a backend can do: one member per method of ``PostDicomApi``, named after it.
    ``api.capabilities`` is a frozenset of these; check ``Capability.FOLDER_TREE in
    api.capabilities``, never a string, so a misspelt name fails at import and in mypy
    instead of silently hiding a feature. A new contract method needs its member here
    (``tests/postdicom/test_get_api.py`` checks they match)."""

    ACCOUNT = "account"
    CURRENT_USER = "current_user"
    LIST_USERS = "list_users"
    GET_USER = "get_user"
    CREATE_USER = "create_user"
    UPDATE_USER = "update_user"
    SET_USER_ACTIVE = "set_user_active"
    SET_USER_PASSWORD = "set_user_password"  # noqa: S105 (a method name, not a secret)
    LIST_USER_GROUPS = "list_user_groups"
    GET_USER_GROUP = "get_user_group"
    CREATE_USER_GROUP = "create_user_group"
    UPDATE_USER_GROUP = "update_user_group"
    DELETE_USER_GROUP = "delete_user_group"
    GROUP_MEMBERS = "group_members"
    GROUPS_OF_USER = "groups_of_user"
    ADD_GROUP_MEMBERS = "add_group_members"
    REMOVE_GROUP_MEMBERS = "remove_group_members"
    LIST_CONTACTS = "list_contacts"
    LIST_INSTITUTIONS = "list_institutions"
    GET_INSTITUTION = "get_institution"
    CREATE_INSTITUTION = "create_institution"
    UPDATE_INSTITUTION = "update_institution"
    LIST_DICOM_NODES = "list_dicom_nodes"
    GET_DICOM_NODE = "get_dicom_node"
    CREATE_DICOM_NODE = "create_dicom_node"
    UPDATE_DICOM_NODE = "update_dicom_node"
    DELETE_DICOM_NODE = "delete_dicom_node"
    FLAG_DICTIONARY = "flag_dictionary"
    CREATE_FLAG_GROUP = "create_flag_group"
    RENAME_FLAG_GROUP = "rename_flag_group"
    DELETE_FLAG_GROUP = "delete_flag_group"
    CREATE_FLAG = "create_flag"
    UPDATE_FLAG = "update_flag"
    DELETE_FLAG = "delete_flag"
    AUDIT_LOG = "audit_log"
    RECORD_AUTHENTICATION = "record_authentication"
    LIST_API_KEYS = "list_api_keys"
    CREATE_API_KEY = "create_api_key"
    REVOKE_API_KEY = "revoke_api_key"
    CREATE_ORDER = "create_order"
    UPDATE_ORDER = "update_order"
    RECYCLED_ORDER = "recycled_order"
    DELETE_DOCUMENT = "delete_document"
    POSSIBLE_DUPLICATES = "possible_duplicates"
    SEARCH_ORDERS = "search_orders"
    ORDER_PROPERTIES = "order_properties"
    PATIENT_ORDERS = "patient_orders"
    OPEN_VIEWER = "open_viewer"
    DELETE_ORDER = "delete_order"
    RESTORE_ORDER = "restore_order"
    PURGE_ORDER = "purge_order"
    RECYCLE_BIN = "recycle_bin"
    LINK_ORDERS = "link_orders"
    ADD_TO_ORDER_GROUP = "add_to_order_group"
    UNLINK_ORDERS = "unlink_orders"
    ASSIGN_ORDER = "assign_order"
    UNASSIGN_ORDER = "unassign_order"
    MOVE_ORDER_TO_INSTITUTION = "move_order_to_institution"
    SET_ORDER_FLAG = "set_order_flag"
    READ_DICOM_FILES = "read_dicom_files"
    UPLOAD_DICOM = "upload_dicom"
    START_UPLOAD = "start_upload"
    ADD_UPLOAD_FILES = "add_upload_files"
    FINISH_UPLOAD = "finish_upload"
    UPLOAD_REPORT = "upload_report"
    UPLOAD_PROGRESS = "upload_progress"
    UPLOAD_DOCUMENTS = "upload_documents"
    OPEN_DOCUMENT = "open_document"
    OPEN_ORDERS_ARCHIVE = "open_orders_archive"
    SEARCH_STUDIES = "search_studies"
    SEARCH_SERIES = "search_series"
    SEARCH_INSTANCES = "search_instances"
    OPEN_INSTANCES = "open_instances"
    FIND_STUDY = "find_study"
    STUDY_THUMBNAIL = "study_thumbnail"
    CREATE_FOLDER = "create_folder"
    UPDATE_FOLDER = "update_folder"
    MOVE_FOLDER = "move_folder"
    DELETE_FOLDER = "delete_folder"
    GET_FOLDER = "get_folder"
    LIST_FOLDERS = "list_folders"
    FOLDER_TREE = "folder_tree"
    SEARCH_FOLDERS = "search_folders"
    ORDER_FOLDERS = "order_folders"
    ADD_ORDER_TO_FOLDERS = "add_order_to_folders"
    REMOVE_ORDERS_FROM_FOLDER = "remove_orders_from_folder"
    VIEW_URL = "view_url"
    VIEW_LINKS = "view_links"
    REVOKE_VIEW_LINK = "revoke_view_link"
    OPEN_VIEW_LINK = "open_view_link"
    SHARE_ORDERS = "share_orders"
    SHARE_FOLDER = "share_folder"
    SHARE_OFFER = "share_offer"
    FOLDER_SHARE_OPTIONS = "folder_share_options"
    FOLDER_SHARES = "folder_shares"
    REVOKE_FOLDER_SHARE = "revoke_folder_share"
    SHARED_FOLDERS = "shared_folders"
    GET_SHARED_FOLDER = "get_shared_folder"
    LIST_SHARES = "list_shares"
    GET_SHARE = "get_share"
    UPDATE_SHARE = "update_share"
    REVOKE_SHARE = "revoke_share"
    RESEND_SHARE_EMAIL = "resend_share_email"
    SHARE_ACCESS_LOG = "share_access_log"
    SHARE_STATUS = "share_status"
    OPEN_SHARE = "open_share"
    REOPEN_SHARE = "reopen_share"
    LOG_SHARE_ACCESS = "log_share_access"
    RECORD_SHARE_UPLOAD = "record_share_upload"


#: The highest page number a query may ask for: far past any real result, and small enough
#: that its offset fits the database's integers (a larger number gives the last page).
PAGE_NUMBER_MAX = 1_000_000


class AuditAction(StrEnum):
    """Every event the audit trail records, by family (the part before the dot).

    The stored value is the string, so rows written before this enum still read. ``record``
    accepts only these (a mistyped action is an error, not a silent new event); to add one,
    add a member here and its words in ``portal.audit_labels`` (a test checks both)."""

    AUTH_LOGIN = "auth.login"
    AUTH_LOGOUT = "auth.logout"
    AUTH_LOGIN_FAILED = "auth.login_failed"
    AUTH_LOCKED_OUT = "auth.locked_out"
    AUTH_PASSWORD_CHANGED = "auth.password_changed"  # noqa: S105 (an event name)
    AUTH_PASSWORD_RESET = "auth.password_reset"  # noqa: S105
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_ACTIVATED = "user.activated"
    USER_DEACTIVATED = "user.deactivated"
    USER_PASSWORD_SET = "user.password_set"  # noqa: S105
    GROUP_CREATED = "group.created"
    GROUP_UPDATED = "group.updated"
    GROUP_DELETED = "group.deleted"
    GROUP_MEMBER_ADDED = "group.member_added"
    GROUP_MEMBER_REMOVED = "group.member_removed"
    INSTITUTION_CREATED = "institution.created"
    INSTITUTION_UPDATED = "institution.updated"
    NODE_CREATED = "node.created"
    NODE_UPDATED = "node.updated"
    NODE_DELETED = "node.deleted"
    FLAG_GROUP_CREATED = "flag_group.created"
    FLAG_GROUP_RENAMED = "flag_group.renamed"
    FLAG_GROUP_DELETED = "flag_group.deleted"
    FLAG_CREATED = "flag.created"
    FLAG_UPDATED = "flag.updated"
    FLAG_DELETED = "flag.deleted"
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    ORDER_CREATED = "order.created"
    ORDER_UPDATED = "order.updated"
    ORDER_DELETED = "order.deleted"
    ORDER_RESTORED = "order.restored"
    ORDER_PURGED = "order.purged"
    ORDER_ASSIGNED = "order.assigned"
    ORDER_UNASSIGNED = "order.unassigned"
    ORDER_LINKED = "order.linked"
    ORDER_UNLINKED = "order.unlinked"
    ORDER_MOVED = "order.moved"
    ORDER_FLAG_SET = "order.flag_set"
    ORDER_FLAG_CLEARED = "order.flag_cleared"
    ORDER_IMAGES_ADDED = "order.images_added"
    ORDER_IMAGES_RECEIVED = "order.images_received"
    ORDER_IMAGES_DIFFER = "order.images_differ"
    ORDER_DOCUMENT_ADDED = "order.document_added"
    ORDER_DOCUMENT_DELETED = "order.document_deleted"
    ORDER_DICOMWEB_RETRIEVE = "order.dicomweb_retrieve"
    ORDER_DICOMWEB_METADATA = "order.dicomweb_metadata"
    FOLDER_CREATED = "folder.created"
    FOLDER_RENAMED = "folder.renamed"
    FOLDER_UPDATED = "folder.updated"
    FOLDER_MOVED = "folder.moved"
    FOLDER_DELETED = "folder.deleted"
    FOLDER_ORDER_ADDED = "folder.order_added"
    FOLDER_ORDER_REMOVED = "folder.order_removed"
    FOLDER_SHARED = "folder.shared"
    FOLDER_SHARE_CHANGED = "folder.share_changed"
    FOLDER_SHARE_REVOKED = "folder.share_revoked"
    UPLOAD_STARTED = "upload.started"
    UPLOAD_FINISHED = "upload.finished"
    # Reads of patient data (HIPAA §164.312(b)): who looked at which record.
    ORDER_VIEWED = "order.viewed"
    ORDER_VIEWER_OPENED = "order.viewer_opened"
    ORDER_SEARCHED = "order.searched"
    ORDER_DOCUMENT_VIEWED = "order.document_viewed"
    ORDER_DOCUMENT_DOWNLOADED = "order.document_downloaded"
    ORDER_DOWNLOADED = "order.downloaded"
    FOLDER_VIEWED = "folder.viewed"
    UPLOAD_REPORT_VIEWED = "upload.report_viewed"
    AUDIT_EXPORTED = "audit.exported"
    AUDIT_ARCHIVED = "audit.archived"
    VIEW_LINK_CREATED = "view_link.created"
    VIEW_LINK_USED = "view_link.used"
    VIEW_LINK_REFUSED = "view_link.refused"
    VIEW_LINK_REVOKED = "view_link.revoked"
    # Shares with outside people (e-mail, link, upload-only): made, changed, and what
    # visitors did with them.
    SHARE_CREATED = "share.created"
    SHARE_CHANGED = "share.changed"
    SHARE_REVOKED = "share.revoked"
    SHARE_EMAIL_RESENT = "share.email_resent"
    SHARE_OPENED = "share.opened"
    SHARE_PASSWORD_FAILED = "share.password_failed"  # noqa: S105 (an event name)
    SHARE_LOCKED = "share.locked"
    SHARE_VIEWED = "share.viewed"
    SHARE_DOWNLOADED = "share.downloaded"
    SHARE_UPLOADED = "share.uploaded"
    SHARE_REFUSED = "share.refused"

    @property
    def family(self) -> str:
        """``order`` for ``order.viewed``."""
        return self.value.split(".", 1)[0]

    @property
    def is_read(self) -> bool:
        """A read of patient data rather than a change."""
        return self in READ_ACTIONS


#: The events that record a read, not a change; an order's history lists changes, and its
#: reads as "who viewed this order".
READ_ACTIONS: frozenset[AuditAction] = frozenset(
    {
        AuditAction.ORDER_VIEWED,
        AuditAction.ORDER_VIEWER_OPENED,
        AuditAction.ORDER_SEARCHED,
        AuditAction.ORDER_DOCUMENT_VIEWED,
        AuditAction.ORDER_DOCUMENT_DOWNLOADED,
        AuditAction.ORDER_DOWNLOADED,
        AuditAction.ORDER_DICOMWEB_RETRIEVE,
        AuditAction.ORDER_DICOMWEB_METADATA,
        AuditAction.FOLDER_VIEWED,
        AuditAction.UPLOAD_REPORT_VIEWED,
        AuditAction.AUDIT_EXPORTED,
        AuditAction.VIEW_LINK_USED,
        AuditAction.SHARE_OPENED,
        AuditAction.SHARE_VIEWED,
        AuditAction.SHARE_DOWNLOADED,
    }
)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer result. ``number`` counts from 1."""

    items: tuple[T, ...]
    total: int
    number: int = 1
    size: int = 50
    #: ``total`` is where counting stopped, and more match (a list too long to count quickly
    #: offers its first ``pages`` only and asks for narrower filters).
    total_is_lower_bound: bool = False

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def first_index(self) -> int:
        """1-based position of the first item, 0 on an empty page."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.items) - 1 if self.items else 0


# --- People and places ------------------------------------------------------------------------


@dataclass(frozen=True)
class Institution:
    """A location of the clinic. Users belong to one or more; each order to exactly one."""

    id: UUID
    name: str
    address: str = ""
    is_active: bool = True
    user_count: int = 0


@dataclass(frozen=True)
class UserInfo:
    """A user of the account. ``role_known`` False: the backend cannot tell this user's role
    (the cloud backend: PostDICOM's HTTP API says nothing of its users), so ``role`` is the
    least one, ``LIMITED``, for deciding what the pages offer, and the pages name no role."""

    id: UUID
    username: str
    first_name: str
    last_name: str
    email: str
    role: Role
    is_active: bool
    institutions: tuple[Institution, ...] = ()
    last_login: dt.datetime | None = None
    date_joined: dt.datetime | None = None
    role_known: bool = True

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.username


@dataclass(frozen=True)
class UserGroupInfo:
    id: UUID
    name: str
    description: str = ""
    member_count: int = 0


@dataclass(frozen=True)
class Account:
    """What ``account()`` (PostDICOM's Initialize) returns: who the actor is, what they
    may do, and the institutions they may work in."""

    user: UserInfo
    role: Role
    institutions: tuple[Institution, ...]
    users: tuple[UserInfo, ...]


@dataclass(frozen=True)
class Contact:
    """Someone the actor can send a share to."""

    name: str
    email: str
    user_id: UUID | None = None


@dataclass(frozen=True)
class DicomNode:
    """A DICOM device (modality, PACS) known to the account."""

    id: UUID
    name: str
    ae_title: str
    host: str
    port: int
    institution: Institution
    description: str = ""


@dataclass(frozen=True)
class Flag:
    id: UUID
    group_id: UUID
    name: str
    color: str  # "#rrggbb"


@dataclass(frozen=True)
class FlagGroup:
    """A set of mutually exclusive flags: an order carries at most one flag per group."""

    id: UUID
    name: str
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: dt.datetime
    actor_name: str
    action: str
    target_type: str
    target_id: str
    target_label: str
    ip: str | None
    detail: Mapping[str, object] = field(default_factory=dict)
    #: The actor's full name as it is now ("" when unknown or gone); ``actor_name`` is the
    #: user name recorded at the time.
    actor_full_name: str = ""

    @property
    def who(self) -> str:
        """The name to show: the full name when known, else the recorded user name."""
        return self.actor_full_name or self.actor_name


@dataclass(frozen=True)
class OrderViewer:
    """Someone who opened an order or one of its documents: how often, and when last."""

    name: str
    views: int
    last_viewed: dt.datetime


#: The header naming the user an API call is made for: an administrator's API key may act as
#: any active user, with that user's rights and never its own (the cloud backend sends it).
ACT_AS_HEADER = "X-Rayport-Act-As"


def act_as_value(username: str) -> str:
    """``username`` as the ``ACT_AS_HEADER`` value: UTF-8, percent-encoded, so that a name
    with letters beyond ASCII ("josé") survives a header (httpx refuses non-ASCII values).
    A Django user name has no "%" (``UnicodeUsernameValidator``), so ASCII names go as they are."""
    return quote(username, safe="@.+-_")


def act_as_name(value: str) -> str:
    """The user name an ``ACT_AS_HEADER`` value names (``act_as_value`` undone)."""
    return unquote(value.strip(), errors="strict")


@dataclass(frozen=True)
class ApiKey:
    id: UUID
    name: str
    prefix: str
    user: UserInfo
    created_at: dt.datetime
    last_used_at: dt.datetime | None = None
    revoked: bool = False


# --- Administration inputs ----------------------------------------------------------------------


@dataclass(frozen=True)
class UserDraft:
    username: str
    first_name: str
    last_name: str
    email: str
    role: Role
    institution_ids: tuple[UUID, ...]


@dataclass(frozen=True)
class InstitutionDraft:
    name: str
    address: str = ""


@dataclass(frozen=True)
class DicomNodeDraft:
    name: str
    ae_title: str
    host: str
    port: int
    institution_id: UUID
    description: str = ""


@dataclass(frozen=True)
class FlagDraft:
    name: str
    color: str


@dataclass(frozen=True)
class UserQuery:
    text: str = ""
    role: Role | None = None
    institution_id: UUID | None = None
    include_inactive: bool = True
    not_in_group: UUID | None = None
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class AuditQuery:
    """Filters of ``audit_log``. ``older_than`` (an event's ``at`` and ``id``) keeps only the
    events listed after that one, newest first: an export reads page after page with it, at
    the same cost however deep it goes (``page`` would make the database skip every row
    before the page)."""

    text: str = ""
    action: str = ""
    actor_id: UUID | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    page: int = 1
    page_size: int = 50
    older_than: tuple[dt.datetime, int] | None = None


# --- Orders -------------------------------------------------------------------------------------

#: Common DICOM modality codes, for choice lists. Any code of 1–16 upper-case letters or
#: digits is accepted (new devices bring new codes); these are the usual ones.
MODALITIES: tuple[str, ...] = (
    "CR", "CT", "DX", "ECG", "ES", "IO", "MG", "MR", "NM", "OP", "OT", "PT", "PX", "RF", "SC", "US", "XA",
)  # fmt: skip

#: Requested Procedure Priority (0040,1003) values; ``OrderDraft.priority`` is one of these or "".
ORDER_PRIORITIES: tuple[str, ...] = ("STAT", "HIGH", "ROUTINE", "MEDIUM", "LOW")

#: Patient sex values; ``OrderDraft.sex`` is one of these or "" (unknown).
PATIENT_SEXES: tuple[str, ...] = ("M", "F", "O")

#: Longest accepted value of each free-text ``OrderDraft`` field (DICOM's limits for the
#: value representation the field becomes in a worklist: LO 64, SH 16, PN 64 per component).
#: Forms use these as ``max_length``; the service refuses longer values.
ORDER_TEXT_LIMITS: Mapping[str, int] = {
    "patient_name": 200,  # whole LAST^FIRST^MIDDLE; each component at most 64
    "patient_id": 64,
    "other_patient_id": 64,
    "modality": 16,
    "accession_number": 16,
    "study_description": 64,
    "complaints": 1024,
    "history": 1024,
    "symptom": 1024,
    "requesting_physician": 64,
    "requesting_department": 64,
    "referring_physician": 64,
    "procedure_id": 16,
    "procedure_description": 64,
    "note1": 1024,
    "note2": 1024,
}

#: Columns ``OrderQuery.sort`` accepts; prefix "-" for descending.
ORDER_SORTS: tuple[str, ...] = (
    "patient_name",
    "patient_id",
    "order_date",
    "modality",
    "accession_number",
    "status",
    "institution",
)

#: A patient-name search needs at least this many characters (East Asian wide characters
#: count twice, so "太郎" is enough).
MIN_NAME_SEARCH = 3


def join_patient_name(last: str, first: str = "", middle: str = "") -> str:
    """``LAST^FIRST^MIDDLE`` from its parts; trailing empty components are dropped."""
    parts = [" ".join(p.split()) for p in (last, first, middle)]
    while parts and not parts[-1]:
        parts.pop()
    return "^".join(parts)


def split_patient_name(name: str) -> tuple[str, str, str]:
    """(last, first, middle) of a ``LAST^FIRST^MIDDLE`` name; missing parts are ""."""
    parts = name.split("^")
    last, first, middle = [*parts, "", "", ""][:3]
    return last, first, middle


def display_patient_name(name: str) -> str:
    """ "LAST, FIRST MIDDLE" for people to read."""
    last, first, middle = split_patient_name(name)
    given = " ".join(p for p in (first, middle) if p)
    return f"{last}, {given}" if last and given else (last or given)


class OrderStatus(StrEnum):
    """Where an order stands. Orders created in a form start ``scheduled``; the first image
    moves them to ``images_received``."""

    SCHEDULED = "scheduled"
    IMAGES_RECEIVED = "images_received"
    REPORTED = "reported"
    CLOSED = "closed"


#: The ``OrderDraft`` fields every backend requires of a new order; a backend may require more
#: (``PostDicomApi.required_order_fields``: PostDICOM's CreatePatientOrder, the birth date).
ORDER_REQUIRED_FIELDS = frozenset({"patient_name", "patient_id", "modality", "order_date"})


@dataclass(frozen=True)
class OrderDraft:
    """Every field of CreateOrderWithMinimumParameters/FullParameters/FullParameters2/JSON.

    Field names are also the keys of ``InvalidInput.field_errors`` from ``create_order``
    (plus ``institution_id``). Text limits: ``ORDER_TEXT_LIMITS``.
    """

    patient_name: str  # LAST^FIRST^MIDDLE; see join_patient_name
    patient_id: str
    modality: str  # DICOM code, e.g. "CT"; lower case is accepted and upper-cased
    order_date: dt.date
    order_time: dt.time | None = None  # HH:MM (seconds must be 0)
    study_description: str = ""
    other_patient_id: str = ""
    birth_date: dt.date | None = None
    sex: str = ""  # "M", "F", "O" or ""
    accession_number: str = ""  # 1–16 characters, unique within the institution; "" = none
    complaints: str = ""
    history: str = ""
    symptom: str = ""
    priority: str = ""  # one of ORDER_PRIORITIES or ""
    requesting_physician: str = ""
    requesting_department: str = ""
    referring_physician: str = ""
    procedure_id: str = ""
    procedure_description: str = ""
    scheduled_equipment_id: UUID | None = None  # a DICOM node of the order's institution
    performed_at: dt.datetime | None = None
    note1: str = ""
    note2: str = ""

    @classmethod
    def from_text(cls, values: Mapping[str, str]) -> OrderDraft:
        """A draft from wire strings (PostDICOM's JSON keys mapped to field names):
        dates ``YYYY-MM-DD``, ``order_time`` ``HH:MM``, ``performed_at`` ``YYYY-MM-DD HH:MM``,
        ``scheduled_equipment_id`` a UUID; missing or "" optional values stay empty.

        Raises ``InvalidInput`` naming every field that is not a real date/time/UUID, and
        any unknown key. Business rules (lengths, uniqueness, …) are checked by
        ``create_order``.
        """
        return _draft_from_text(cls, values)


#: The ``InvalidInput`` field of ``link_orders`` and ``add_to_order_group`` when the orders are
#: of different patients: the page asks, then calls again with ``confirm_different_patients``.
DIFFERENT_PATIENTS = "confirm_different_patients"


class OrderFilter(StrEnum):
    """The filters of ``OrderQuery`` a backend's ``search_orders`` may or may not apply: one
    member per field of ``OrderQuery`` but the page's (``page``, ``page_size``), valued as
    that field. ``api.order_filters`` names those it applies; a query using another is
    ``InvalidInput`` on that field, never answered as if the filter were not there. The order
    list offers only these (``orders.forms.search``). ``SORT`` is any sort but the default,
    newest first (``tests/postdicom/test_get_api.py`` checks the members match the fields)."""

    PATIENT_NAME = "patient_name"
    PATIENT_ID = "patient_id"
    EXACT_PATIENT_ID = "exact_patient_id"
    OTHER_PATIENT_ID = "other_patient_id"
    ACCESSION_NUMBER = "accession_number"
    MODALITIES = "modalities"
    INSTITUTION_IDS = "institution_ids"
    DATE_FROM = "date_from"
    DATE_TO = "date_to"
    BIRTH_DATE_FROM = "birth_date_from"
    BIRTH_DATE_TO = "birth_date_to"
    STATUSES = "statuses"
    FLAG_ID = "flag_id"
    FLAGGED = "flagged"
    ASSIGNED_TO_ME = "assigned_to_me"
    FOLDER_ID = "folder_id"
    INCLUDE_SUB_FOLDERS = "include_sub_folders"
    ORDER_IDS = "order_ids"
    SORT = "sort"


@dataclass(frozen=True)
class OrderQuery:
    """Filters of ``search_orders``; every filter given must match (AND).

    * ``patient_name``: words (split at spaces, commas and ``^``, so "PEÑA, María" as the
      pages show a name works) that must each occur in some name component, ignoring case
      and accents; at least ``MIN_NAME_SEARCH`` characters, else ``InvalidInput``.
    * ``patient_id``, ``other_patient_id``, ``accession_number``: the value, or the
      beginning of it ("AN-12" finds "AN-12345"), ignoring case; with
      ``exact_patient_id`` the whole patient ID only (a patient's orders, with
      ``institution_ids`` naming the order's institution).
    * ``modalities``, ``institution_ids``, ``statuses``: any of those (institutions are
      intersected with what the actor may see).
    * ``date_from``/``date_to`` (order date) and ``birth_date_from``/``birth_date_to``:
      inclusive.
    * ``flag_id``: carries that flag; ``flagged``: carries any flag.
    * ``assigned_to_me``: assigned to the actor directly or through one of their groups.
    * ``folder_id``: filed directly in that folder of the actor's, or in a folder shared with
      them (backends without folders raise ``Unsupported``); with ``include_sub_folders``,
      filed in it or in any folder below it.
    * ``order_ids``: only these orders (those of them the actor sees).
    * ``sort``: one of ``ORDER_SORTS``, "-" prefix for descending; else ``InvalidInput``.
    """

    patient_name: str = ""
    patient_id: str = ""
    exact_patient_id: bool = False
    other_patient_id: str = ""
    accession_number: str = ""
    modalities: tuple[str, ...] = ()
    institution_ids: tuple[UUID, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    birth_date_from: dt.date | None = None
    birth_date_to: dt.date | None = None
    statuses: tuple[OrderStatus, ...] = ()
    flag_id: UUID | None = None
    flagged: bool = False
    assigned_to_me: bool = False
    folder_id: UUID | None = None
    order_ids: tuple[UUID, ...] = ()
    include_sub_folders: bool = False
    sort: str = "-order_date"
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class OrderSummary:
    """One order as a list shows it. ``flags`` are ordered by flag group name."""

    id: UUID
    institution: Institution
    patient_name: str  # LAST^FIRST^MIDDLE
    patient_id: str
    other_patient_id: str
    birth_date: dt.date | None
    sex: str
    modality: str
    accession_number: str
    study_description: str
    order_date: dt.date
    order_time: dt.time | None
    status: OrderStatus
    flags: tuple[Flag, ...] = ()
    image_count: int = 0
    document_count: int = 0
    group_id: UUID | None = None  # the link group; orders sharing it open together
    created_at: dt.datetime | None = None

    @property
    def patient_display_name(self) -> str:
        return display_patient_name(self.patient_name)

    @property
    def label(self) -> str:
        """ "<patient name> · <accession or patient id>", as the audit trail names it."""
        return f"{self.patient_display_name} · {self.accession_number or self.patient_id}"


@dataclass(frozen=True)
class SeriesInfo:
    """One series of a study (filled in once uploads exist)."""

    id: UUID
    series_uid: str
    modality: str
    description: str = ""
    number: int | None = None
    image_count: int = 0


@dataclass(frozen=True)
class StudyInfo:
    """One study of an order with its series (filled in once uploads exist)."""

    id: UUID
    study_uid: str
    study_date: dt.date | None = None
    description: str = ""
    series: tuple[SeriesInfo, ...] = ()
    image_count: int = 0


@dataclass(frozen=True)
class OrderStudies:
    """An order with its studies: what the viewer lists and opens (the current order, or
    one of the same patient's other orders to compare with)."""

    summary: OrderSummary
    studies: tuple[StudyInfo, ...] = ()


@dataclass(frozen=True)
class ViewerContent:
    """What the image viewer shows for one order: its studies and documents, and the same
    patient's other orders the actor may see (``priors``, newest first)."""

    order: OrderStudies
    documents: tuple[Document, ...] = ()
    priors: tuple[OrderStudies, ...] = ()


@dataclass(frozen=True)
class OrderDetail:
    """GetPatientOrderProperties: everything about one order.

    ``draft`` holds every property as entered; ``history`` is the order's audit trail,
    newest first; ``linked_orders`` are the other orders of its link group that the actor
    can see; ``can_manage`` tells whether the actor may change it: edit its details
    (``update_order``), delete, assign, move, link, flag, and remove its documents.
    ``folders`` are the actor's own folders holding the order, by path (without counts).
    ``studies`` and ``documents`` stay empty until those features exist.
    """

    summary: OrderSummary
    draft: OrderDraft
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime | None = None
    scheduled_equipment: DicomNode | None = None
    performed_at: dt.datetime | None = None
    studies: tuple[StudyInfo, ...] = ()
    documents: tuple[Document, ...] = ()
    folders: tuple[Folder, ...] = ()
    assigned_users: tuple[UserInfo, ...] = ()
    assigned_groups: tuple[UserGroupInfo, ...] = ()
    linked_orders: tuple[OrderSummary, ...] = ()
    history: tuple[AuditEvent, ...] = ()
    can_manage: bool = False
    #: Who opened the order or its documents, most recent first (staff and administrators
    #: only: empty for limited users).
    viewers: tuple[OrderViewer, ...] = ()


@dataclass(frozen=True)
class RecycledOrder:
    """An order in the recycle bin, and when it will be purged for good. ``can_purge``: the
    actor may purge it now (``purge_order``)."""

    order: OrderSummary
    deleted_at: dt.datetime
    deleted_by: str
    purge_at: dt.datetime
    can_purge: bool = False

    @property
    def days_left(self) -> int:
        """Whole days until the purge, rounded up; 0 when it is due."""
        remaining = (self.purge_at - dt.datetime.now(dt.UTC)).total_seconds()
        return max(0, math.ceil(remaining / 86400))


_DRAFT_DATES = ("order_date", "birth_date")


def _draft_from_text(cls: type[OrderDraft], values: Mapping[str, str]) -> OrderDraft:
    """See ``OrderDraft.from_text``."""
    from django.utils.translation import gettext as _

    from postdicom.errors import InvalidInput

    known = {f.name for f in fields(cls)}
    errors: dict[str, str] = {}
    for key in values:
        if key not in known:
            errors[key] = _("Unknown field %(name)s.") % {"name": repr(key)}
    raw = {k: (v or "").strip() for k, v in values.items() if k in known}
    parsed: dict[str, object] = {}
    for name, text in raw.items():
        if name in _DRAFT_DATES:
            try:
                parsed[name] = dt.date.fromisoformat(text) if text and len(text) == 10 else None
            except ValueError:
                parsed[name] = None
            if text and parsed[name] is None:
                errors[name] = _("Enter a real date as YYYY-MM-DD.")
        elif name == "order_time":
            try:
                parsed[name] = dt.datetime.strptime(text, "%H:%M").time() if text else None
            except ValueError:
                errors[name] = _("Enter a time as HH:MM (00:00 to 23:59).")
        elif name == "performed_at":
            try:
                parsed[name] = dt.datetime.strptime(text, "%Y-%m-%d %H:%M") if text else None
            except ValueError:
                errors[name] = _("Enter a real date and time as YYYY-MM-DD HH:MM.")
        elif name == "scheduled_equipment_id":
            try:
                parsed[name] = UUID(text) if text else None
            except ValueError:
                errors[name] = _("Choose a DICOM node by its id.")
        else:
            parsed[name] = text
    if "order_date" not in raw or not raw["order_date"]:
        errors.setdefault("order_date", _("This field is required."))
    if errors:
        raise InvalidInput(errors)
    parsed.setdefault("patient_name", "")
    parsed.setdefault("patient_id", "")
    parsed.setdefault("modality", "")
    return cls(**parsed)  # type: ignore[arg-type]


# --- Files: uploads, the image index and documents ------------------------------------------------

#: PostDICOM's anonymization tag list (DicomTagsEnum), as DICOM keywords, in its order.
ANONYMIZATION_TAGS: tuple[str, ...] = (
    "PatientName",
    "PatientID",
    "OtherPatientIDs",
    "OtherPatientNames",
    "StudyDescription",
    "ReferringPhysicianName",
    "InstitutionName",
    "InstitutionAddress",
    "AccessionNumber",
    "StudyDate",
)


@dataclass(frozen=True)
class Anonymization:
    """What to do to the files of an upload before they are stored.

    ``replacements`` maps tags of ``ANONYMIZATION_TAGS`` (DICOM keywords; PostDICOM's
    spellings such as ``PatientId`` or ``x00100010`` are accepted too) to the value to write;
    "" empties the tag. ``basic_profile`` asks for a full de-identification following DICOM
    PS3.15 Annex E (Basic Profile; UIDs remapped consistently within the upload, dates
    shifted, private tags removed). When either is given, the original file is never stored.
    """

    replacements: Mapping[str, str] = field(default_factory=dict)
    basic_profile: bool = False

    @property
    def active(self) -> bool:
        return self.basic_profile or bool(self.replacements)


@dataclass(frozen=True)
class UploadFile:
    """A file already on local disk, handed to the service (which may move or delete it).

    ``name`` is what the user called it (a relative path for folder uploads); ``size`` is the
    whole file's size. With ``head_only`` the file at ``path`` holds only the first bytes of
    the file (a preview sends the header, not the pixels)."""

    name: str
    path: str
    size: int
    head_only: bool = False


@dataclass(frozen=True)
class DicomFileSummary:
    """ReadDicomFiles: what one file holds, or why it cannot be used.

    ``readable`` False with ``skipped`` True is a DICOMDIR (the index of a CD), which is left
    out without being an error; otherwise ``reason`` says what is wrong, for clinic staff.
    Dates are ISO strings ("" when absent). ``order`` is the existing order the file would
    join: an order of the chosen institution the actor already sees, with the same Study
    Instance UID or else the same accession number (a scheduled one first). Without one the
    file makes a new order; ``accession_taken`` says that order goes without the file's
    accession number, which another order of the institution holds: True or False where the
    backend knows, None where it cannot tell (the cloud backend: the server does not say
    whether an order the user cannot see holds the number), and the pages then say nothing."""

    name: str
    readable: bool
    reason: str = ""
    patient_name: str = ""  # as stored: LAST^FIRST^MIDDLE, possibly with = groups
    patient_id: str = ""
    birth_date: str = ""
    modality: str = ""
    study_uid: str = ""
    study_date: str = ""
    study_description: str = ""
    series_uid: str = ""
    sop_instance_uid: str = ""
    skipped: bool = False
    sex: str = ""
    accession_number: str = ""
    series_number: int | None = None
    series_description: str = ""
    burned_in_annotation: str = ""  # "YES", "NO" or ""
    warnings: tuple[str, ...] = ()
    order: OrderSummary | None = None
    checked: bool = True  # False: only a header was sent, and it was not enough to read
    accession_taken: bool | None = False

    @property
    def patient_display_name(self) -> str:
        return display_patient_name(self.patient_name.split("=")[0] or self.patient_name.replace("=", " "))


#: The largest file an upload may announce: 1 TiB, far past any study, and within the
#: database's integers.
UPLOAD_FILE_SIZE_MAX = 1 << 40


class UploadOutcome(StrEnum):
    """Where one file of an upload stands. The last six are final."""

    RECEIVING = "receiving"  # bytes are still arriving
    RECEIVED = "received"  # waiting for the server-side work
    STORED = "stored"
    DUPLICATE = "duplicate"  # the same image (same bytes, or same pixels) was already in the order
    CONFLICT = "conflict"  # a different image with the same SOP Instance UID is in the order; see ``reason``
    REJECTED = "rejected"  # see ``reason``
    SKIPPED = "skipped"  # a DICOMDIR
    EXPANDED = "expanded"  # a ZIP archive, whose entries are files of their own


class UploadState(StrEnum):
    OPEN = "open"  # files are being sent
    QUEUED = "queued"  # sent; the server is storing them
    DONE = "done"  # every file has its outcome


@dataclass(frozen=True)
class UploadFileState:
    """One file of an upload: bytes received so far and, once known, its outcome.
    ``order_id`` is the order that received the image (when the actor may see it)."""

    id: UUID
    name: str
    size: int
    received: int
    outcome: UploadOutcome
    reason: str = ""
    last_modified: int = 0
    order_id: UUID | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class UploadBatchInfo:
    """An upload as a whole. ``counts`` maps each ``UploadOutcome`` value to its number
    of files (ZIP entries included)."""

    id: UUID
    institution: Institution
    state: UploadState
    created_at: dt.datetime
    created_by: str
    folder_id: UUID | None = None
    anonymized: bool = False
    basic_profile: bool = False
    file_count: int = 0
    bytes_total: int = 0
    bytes_received: int = 0
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def done_count(self) -> int:
        final = (
            UploadOutcome.STORED,
            UploadOutcome.DUPLICATE,
            UploadOutcome.CONFLICT,
            UploadOutcome.REJECTED,
            UploadOutcome.SKIPPED,
        )
        return sum(self.counts.get(o.value, 0) for o in final)

    @property
    def work_count(self) -> int:
        """Files that get an outcome of their own (ZIP archives count through their entries)."""
        return self.file_count - self.counts.get(UploadOutcome.EXPANDED.value, 0)


@dataclass(frozen=True)
class UploadReport:
    """An upload's progress, then its result: the orders that received images (those the
    actor can see), the files that were not stored with the reason, batch-level notes (a
    folder that could not be used, say), and one page of every file."""

    batch: UploadBatchInfo
    orders: tuple[OrderSummary, ...]
    problems: tuple[UploadFileState, ...]
    notes: tuple[str, ...]
    files: Page[UploadFileState]


@dataclass(frozen=True)
class UploadReceipt:
    """What ``upload_dicom`` returns: the upload to follow with ``upload_report``. With
    ``store_now``, ``files`` is already each file's outcome in the order given (orders not
    named: ``order_id`` is None), so the caller needs no report."""

    batch_id: UUID
    file_count: int
    files: tuple[UploadFileState, ...] = ()


#: Documents an order accepts, by ``Document.kind``.
DOCUMENT_KINDS: tuple[str, ...] = ("pdf", "jpeg", "png", "bmp", "mp4")


@dataclass(frozen=True)
class Document:
    """A clinical document attached to an order; ``kind`` and ``content_type`` come from the
    file's content, never from its name. ``can_delete`` tells whether the actor who asked may
    remove it (``delete_document``)."""

    id: UUID
    order_id: UUID
    name: str
    kind: str  # one of DOCUMENT_KINDS
    content_type: str
    size: int
    uploaded_by: str
    uploaded_at: dt.datetime
    can_delete: bool = False

    @property
    def is_image(self) -> bool:
        return self.kind in ("jpeg", "png", "bmp")


@dataclass(frozen=True)
class RefusedDocument:
    """A file that was not attached, and why (a sentence for clinic staff)."""

    name: str
    reason: str


@dataclass(frozen=True)
class DocumentUpload:
    """UploadDocumentFiles' outcome: the documents attached, and the files refused, each with
    its reason, in the order the files were given."""

    added: tuple[Document, ...] = ()
    refused: tuple[RefusedDocument, ...] = ()


#: The most orders one archive (``open_orders_archive``) may hold: a page of the order list.
ARCHIVE_ORDERS_MAX = 200


@dataclass(frozen=True)
class ArchiveEntry:
    """One file of an orders archive: where it goes in the archive (``path``, "/"-separated
    components that are safe file names on Windows, macOS and Linux), its size in bytes, when
    it was stored, and how to open it. ``open()`` returns a binary handle read in pieces (the
    caller closes it); it may raise ``NotFound`` (the file has gone missing from storage) or
    ``OSError`` (storage failed)."""

    path: str
    size: int
    modified: dt.datetime
    opener: Callable[[], IO[bytes]] = field(repr=False, compare=False)

    def open(self) -> IO[bytes]:
        return self.opener()


@dataclass(frozen=True)
class OrdersArchive:
    """What downloading orders puts in one ZIP archive, in the order to write it: the DICOMDIR
    first (made from the index, so it names every image before any is read), then every
    stored image under ``DICOM/`` with PS3.10 file IDs, then each order's documents under
    ``DOCUMENTS/<order>/``. Nothing is read until an entry is opened. ``filename`` is a safe
    name for the download (``….zip``)."""

    filename: str
    order_ids: tuple[UUID, ...]
    entries: tuple[ArchiveEntry, ...]
    image_count: int
    document_count: int

    @property
    def size(self) -> int:
        """The bytes of every entry together (the archive adds its headers)."""
        return sum(entry.size for entry in self.entries)


# --- Folders and sharing (built out by their issues) -------------------------------------------------


#: Longest name of one folder level, longest description, deepest nesting (top level = 1).
FOLDER_NAME_MAX = 120
FOLDER_DESCRIPTION_MAX = 1000
FOLDER_DEPTH_MAX = 20


@dataclass(frozen=True)
class FolderRef:
    """A folder named in a path (breadcrumbs): its id and name."""

    id: UUID
    name: str


@dataclass(frozen=True)
class FolderRights:
    """What the actor may do with a folder, decided by the service that enforces it (pages
    offer exactly these actions and never work them out themselves). The owner may do
    everything. In a folder shared with them, a recipient renames only folders that an edit
    share covers from above (a shared folder keeps its owner's name), adds sub-folders and
    files or removes orders with an edit share, shares further with a re-share right, and
    never moves or deletes. The default is no right at all."""

    can_rename: bool = False
    can_move: bool = False
    can_delete: bool = False
    can_share: bool = False
    can_add_sub_folders: bool = False
    can_file_orders: bool = False  # file orders in it and take them out


#: Everything: the rights of a folder's owner.
OWNER_RIGHTS = FolderRights(
    can_rename=True, can_move=True, can_delete=True, can_share=True, can_add_sub_folders=True, can_file_orders=True
)


@dataclass(frozen=True)
class Folder:
    """One folder, with the counts of GetFolderList's ``SubFolderList`` entries.

    * ``order_count`` (OrderCount): orders filed directly in the folder.
    * ``all_sub_order_count`` (AllSubOrderCount): orders filed in the folder and in every
      folder below it; an order filed in two of them counts in each.
    * ``sub_folder_count`` (SubFolderCount): its direct sub-folders;
      ``all_sub_folder_count`` (AllSubFolderCount): every folder below it, at any depth.

    Orders count only when the actor may see them and they are not in the recycle bin.
    ``ancestors`` lists the folders above it, top level first (empty for a top-level folder).
    ``rights``: what the actor may do with it (see ``FolderRights``).
    """

    id: UUID
    name: str
    description: str
    parent_id: UUID | None
    order_count: int = 0
    all_sub_order_count: int = 0
    sub_folder_count: int = 0
    all_sub_folder_count: int = 0
    is_shared: bool = False
    ancestors: tuple[FolderRef, ...] = ()
    rights: FolderRights = field(default_factory=FolderRights)

    @property
    def depth(self) -> int:
        """0 for a top-level folder."""
        return len(self.ancestors)

    @property
    def path_label(self) -> str:
        """ "Cardiology / 2026 / March": the names from the top level down to this folder."""
        return " / ".join([*(a.name for a in self.ancestors), self.name])


@dataclass(frozen=True)
class FolderTree:
    """Every folder of the actor's private tree, depth first, siblings by name (ignoring case)."""

    folders: tuple[Folder, ...] = ()

    @cached_property
    def _by_id(self) -> dict[UUID, Folder]:
        return {f.id: f for f in self.folders}

    @cached_property
    def _children(self) -> dict[UUID | None, tuple[Folder, ...]]:
        children: dict[UUID | None, list[Folder]] = {}
        for folder in self.folders:
            children.setdefault(folder.parent_id, []).append(folder)
        return {parent: tuple(kids) for parent, kids in children.items()}

    def get(self, folder_id: UUID) -> Folder | None:
        return self._by_id.get(folder_id)

    def children(self, parent_id: UUID | None) -> tuple[Folder, ...]:
        """Direct sub-folders of ``parent_id`` (None: the top-level folders), by name."""
        return self._children.get(parent_id, ())

    @property
    def roots(self) -> tuple[Folder, ...]:
        return self.children(None)

    def subtree_ids(self, folder_id: UUID) -> frozenset[UUID]:
        """The folder and every folder below it (empty when it is not in the tree)."""
        if folder_id not in self._by_id:
            return frozenset()
        found, todo = {folder_id}, [folder_id]
        while todo:
            for child in self.children(todo.pop()):
                found.add(child.id)
                todo.append(child.id)
        return frozenset(found)

    def __len__(self) -> int:
        return len(self.folders)

    def __iter__(self) -> Iterator[Folder]:
        return iter(self.folders)


@dataclass(frozen=True)
class FolderListing:
    """GetFolderList: ``folder`` (None for the top level), its sub-folders (those whose name
    matched, when a name was given) and, when asked for, the orders filed in it."""

    folder: Folder | None
    sub_folders: tuple[Folder, ...]
    orders: tuple[OrderSummary, ...] = ()


@dataclass(frozen=True)
class ShareAudience:
    """Who receives a share: an e-mail address (with the password in a second e-mail to
    ``password_email`` when given), a link, an upload-only folder (by e-mail with ``email``,
    else by link), or account users and/or user groups (``user_ids``, ``group_ids``: one share
    per recipient; folders only). One kind per share."""

    email: str = ""
    password_email: str = ""
    link: bool = False
    upload_only: bool = False
    user_ids: tuple[UUID, ...] = ()
    group_ids: tuple[UUID, ...] = ()

    @property
    def accounts(self) -> bool:
        """Account users or user groups (ShareFolderWithAccountUser / …UserGroup)."""
        return bool(self.user_ids or self.group_ids)

    @property
    def outside(self) -> bool:
        """An e-mail address, a link or an upload-only folder (people without an account)."""
        return bool(self.email or self.password_email or self.link or self.upload_only)

    @property
    def outside_kind(self) -> ShareKind | None:
        """The ``ShareKind`` of an outside audience (an address makes it an e-mail share);
        None for account recipients or nobody."""
        if self.accounts or not self.outside:
            return None
        if self.email:
            return ShareKind.UPLOAD_EMAIL if self.upload_only else ShareKind.EMAIL
        return ShareKind.UPLOAD_LINK if self.upload_only else ShareKind.LINK


@dataclass(frozen=True)
class PersonRef:
    """A user named in a share: the id of ``UserInfo`` and the name to show."""

    id: UUID
    name: str
    username: str = ""


@dataclass(frozen=True)
class GroupRef:
    """A user group named in a share."""

    id: UUID
    name: str


class ShareKind(StrEnum):
    """Who a share is for. The first four are outside audiences (``OutsideShare``): an e-mail
    address, whoever has the link, and (folders only) an upload-only folder announced by
    e-mail or by link. The last two are account users and user groups (a folder only)."""

    EMAIL = "email"
    LINK = "link"
    UPLOAD_EMAIL = "upload_email"
    UPLOAD_LINK = "upload_link"
    USER = "user"
    GROUP = "group"

    @property
    def outside(self) -> bool:
        return self not in (ShareKind.USER, ShareKind.GROUP)

    @property
    def upload_only(self) -> bool:
        return self in (ShareKind.UPLOAD_EMAIL, ShareKind.UPLOAD_LINK)

    @property
    def by_email(self) -> bool:
        return self in (ShareKind.EMAIL, ShareKind.UPLOAD_EMAIL)


#: The outside share kinds of orders, and of a folder, in the share dialog's order.
ORDER_SHARE_KINDS = (ShareKind.EMAIL, ShareKind.LINK)
FOLDER_SHARE_KINDS = (*ORDER_SHARE_KINDS, ShareKind.UPLOAD_EMAIL, ShareKind.UPLOAD_LINK)


@dataclass(frozen=True)
class ShareOffer:
    """What a share dialog may offer on this backend (``share_offer``), so it offers only what
    can be made and says why not the rest, instead of failing once the form is sent.

    ``kinds``: the outside share kinds this backend makes (of ``ORDER_SHARE_KINDS`` or
    ``FOLDER_SHARE_KINDS``), in that order; ``refused``: each other kind of those, with why
    not (a sentence for the user). ``options_refused``: the ``ShareOptions`` fields it cannot
    honour (``generate_password``, ``open_limit``, ``notify_on_first_open``, ``title``,
    ``message``, ``language``), with why; the dialog does not offer them. A share asking for
    one of them, or of a refused kind, is ``Unsupported``; but ``language``, which every
    share has, is ignored when refused (the server's pages speak the language it chooses)."""

    kinds: tuple[ShareKind, ...]
    refused: dict[ShareKind, str] = field(default_factory=dict)
    options_refused: dict[str, str] = field(default_factory=dict)


#: The languages a share's e-mails and public pages may be in.
SHARE_LANGUAGES = ("en", "es")
SHARE_TITLE_MAX = 200
SHARE_MESSAGE_MAX = 5000
#: The most orders one share may cover.
SHARE_ORDERS_MAX = 500
#: The most opens a share may be limited to.
SHARE_OPEN_LIMIT_MAX = 10_000
#: Wrong passwords in a row that lock a share, and for how long (seconds).
SHARE_FAILURES_BEFORE_LOCK = 5
SHARE_LOCK_SECONDS = 15 * 60
#: Characters of a generated password (about 71 bits: easy to type, hard to guess).
SHARE_GENERATED_PASSWORD_LENGTH = 12


@dataclass(frozen=True)
class ShareOptions:
    """What an outside share (e-mail, link, upload-only) is made with, built by a form.

    ``password``: the one typed, or empty; with ``generate_password`` the service makes one
    (returned once as ``Share.new_password``); with neither, the link alone opens the share.
    ``expires`` is the last day it works (None: until revoked); ``open_limit`` how many times
    it may be opened (None: any); ``language`` that of its e-mails and pages (``SHARE_LANGUAGES``);
    ``notify_on_first_open`` e-mails the owner when it is first opened."""

    password: str = ""
    generate_password: bool = False
    title: str = ""
    message: str = ""
    expires: dt.date | None = None
    downloadable: bool = False
    language: str = "en"
    open_limit: int | None = None
    notify_on_first_open: bool = False


@dataclass(frozen=True)
class SharedOrderRef:
    """An order named in a share: its id and "LAST, FIRST · accession" as the owner sees it."""

    id: UUID
    label: str


@dataclass(frozen=True)
class Share:
    """Orders or a folder shared with an audience (``kind``).

    A folder shared with an account user or a user group names the ``folder``, the recipient
    (``user`` or ``group``), who shared it (``shared_by``) and what it allows: viewing always,
    ``may_edit`` (file and remove orders, create and rename sub-folders), ``may_reshare``
    (share it further, never with more rights), ``includes_restricted_orders`` (recipients also
    see the orders filed in it that their role would hide). ``expires`` is the last day it
    works; ``expired`` tells whether that day is past.

    An outside share (``kind.outside``) covers ``orders`` or a ``folder`` and carries its
    ``email`` / ``password_email``, ``title``, ``message``, ``language``, ``open_limit``,
    ``opens`` and whether it needs a password. ``url`` (the link) and ``new_password`` (a
    generated password) are filled only in the answer to the call that made them: the portal
    keeps neither. ``can_manage``: the actor may revoke and change it.
    """

    id: UUID
    url: str = ""
    expires: dt.date | None = None
    downloadable: bool = False
    revoked: bool = False
    folder: FolderRef | None = None
    user: PersonRef | None = None
    group: GroupRef | None = None
    shared_by: PersonRef | None = None
    may_edit: bool = False
    may_reshare: bool = False
    includes_restricted_orders: bool = False
    expired: bool = False
    created_at: dt.datetime | None = None
    kind: ShareKind = ShareKind.USER
    orders: tuple[SharedOrderRef, ...] = ()
    subject_label: str = ""
    email: str = ""
    password_email: str = ""
    title: str = ""
    message: str = ""
    language: str = "en"
    has_password: bool = False
    open_limit: int | None = None
    opens: int = 0
    notify_on_first_open: bool = False
    last_opened_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    new_password: str = ""
    can_manage: bool = False

    @property
    def recipient_name(self) -> str:
        if self.user is not None:
            return self.user.name
        if self.group is not None:
            return self.group.name
        return self.email

    @property
    def used_up(self) -> bool:
        return self.open_limit is not None and self.opens >= self.open_limit

    @property
    def works(self) -> bool:
        """Not revoked, not expired, not used up."""
        return not (self.revoked or self.expired or self.used_up)


@dataclass(frozen=True)
class ShareQuery:
    """``list_shares``: the actor's own shares, or with ``everyone`` (administrators) every
    share of the account; ``active_only`` leaves out revoked, expired and used-up ones."""

    everyone: bool = False
    active_only: bool = False
    page: int = 1
    page_size: int = 50


class ShareRefusal(StrEnum):
    """Why a share link did not open. ``WRONG_PASSWORD`` also stands for an unknown link, so
    that a guess learns nothing; ``LOCKED`` comes with the seconds to wait."""

    WRONG_PASSWORD = "wrong_password"  # noqa: S105 (a reason, not a secret)
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED_UP = "used_up"
    LOCKED = "locked"


class ShareAccessKind(StrEnum):
    """What a visitor did with a share (``share_access_log``)."""

    OPENED = "opened"
    FAILED_PASSWORD = "failed_password"  # noqa: S105
    LOCKED = "locked"
    VIEWED = "viewed"
    DOWNLOADED = "downloaded"
    UPLOADED = "uploaded"
    REFUSED = "refused"  # the link no longer works (``detail``: the ``ShareRefusal``'s value)


@dataclass(frozen=True)
class ShareAccessEntry:
    """One line of a share's access log: when, from which client address, what."""

    at: dt.datetime
    kind: ShareAccessKind
    client_ip: str = ""
    detail: str = ""


@dataclass(frozen=True)
class OpenedShare:
    """What a share link gives its visitor, as ``open_share`` / ``reopen_share`` found it.

    ``actor`` is the share's owner (a Django user): the public pages make every further
    contract call as this user, so a visitor never sees more than the owner may see now.
    ``order_ids`` are the orders it covers at this moment (an order share: those of its orders
    still live and visible to the owner; a folder share: the orders filed in the folder and
    below it that the owner sees); ``folder_id`` is the folder of a folder share;
    ``upload_only`` shares show nothing and take files into ``folder_id``."""

    share_id: UUID
    actor: Any  # django.contrib.auth.models.User (the owner), typed loosely to keep Django out
    kind: ShareKind
    order_ids: tuple[UUID, ...] = ()
    folder_id: UUID | None = None
    folder_name: str = ""
    upload_only: bool = False
    downloadable: bool = False
    title: str = ""
    message: str = ""
    language: str = "en"
    owner_name: str = ""
    expires: dt.date | None = None
    #: Changes when the share's password changes (a digest of its hash, never the hash): a page
    #: that remembers a visitor's unlock compares it, so a new password asks everyone again.
    password_version: str = ""


@dataclass(frozen=True)
class ShareOpening:
    """The answer of ``open_share``: ``opened`` when the link and password were right and the
    share works, else ``refusal`` (and ``retry_after`` seconds for ``LOCKED``)."""

    opened: OpenedShare | None = None
    refusal: ShareRefusal | None = None
    retry_after: int = 0

    @property
    def ok(self) -> bool:
        return self.opened is not None


@dataclass(frozen=True)
class ShareDoor:
    """``share_status``: what a link's first page needs before any password: whether it
    works (``refusal`` otherwise; an unknown link is ``WRONG_PASSWORD``), whether it asks for a
    password, its title, language and kind. Nothing is logged or counted."""

    refusal: ShareRefusal | None = None
    retry_after: int = 0
    needs_password: bool = True
    title: str = ""
    language: str = "en"
    kind: ShareKind | None = None
    owner_name: str = ""


@dataclass(frozen=True)
class SharedFolder:
    """A folder shared with the actor (``group`` None) or with one of their groups, as the
    "Shared with me" and "Shared with my groups" lists show it. ``share_id`` is the share that
    gives the access; the rights are what the actor may do in it (capped by the re-sharer's)."""

    share_id: UUID
    folder: Folder
    owner: PersonRef
    shared_by: PersonRef
    group: GroupRef | None = None
    may_edit: bool = False
    may_reshare: bool = False
    includes_restricted_orders: bool = False
    expires: dt.date | None = None


@dataclass(frozen=True)
class SharedFolderList:
    """``shared_folders``: shared with the actor, and with the actor's groups, by name."""

    with_me: tuple[SharedFolder, ...] = ()
    with_my_groups: tuple[SharedFolder, ...] = ()


@dataclass(frozen=True)
class FolderAccess:
    """What the actor may do in a folder someone else owns and shared with them (directly, or
    through a folder above it). ``top`` is the highest shared folder above (or equal to) it:
    the actor sees nothing above ``top``. ``expires``: the last day of the longest access."""

    owner: PersonRef
    top: FolderRef
    may_edit: bool = False
    may_reshare: bool = False
    includes_restricted_orders: bool = False
    expires: dt.date | None = None


@dataclass(frozen=True)
class SharedFolderListing:
    """``get_shared_folder``: a shared folder with its counts (orders the actor may see) and
    its ancestors from ``access.top`` down, its sub-folders, and the actor's rights in it."""

    folder: Folder
    sub_folders: tuple[Folder, ...]
    access: FolderAccess


@dataclass(frozen=True)
class FolderShareOptions:
    """What the share dialog offers: the colleagues and groups the actor may share the folder
    with (not themselves, not its owner), and the most the actor may grant (everything for
    the owner, except restricted orders for limited users; a re-sharer their own rights).
    ``latest_expiry`` is the last day a re-sharer's share may last (None: no limit)."""

    folder: Folder
    users: tuple[PersonRef, ...]
    groups: tuple[GroupRef, ...]
    is_owner: bool
    may_edit: bool
    may_reshare: bool
    includes_restricted_orders: bool
    latest_expiry: dt.date | None = None


#: How long a view link works unless its maker says otherwise, and the bounds they may choose.
VIEW_LINK_LIFETIME = dt.timedelta(hours=1)
VIEW_LINK_LIFETIME_MIN = dt.timedelta(minutes=5)
VIEW_LINK_LIFETIME_MAX = dt.timedelta(days=7)


class ViewLinkKind(StrEnum):
    """What a view link shows (GetViewUrl, …WithPatientName(AndBirthDate), GetFolderViewUrl)."""

    ORDER = "order"
    PATIENT = "patient"
    FOLDER = "folder"


@dataclass(frozen=True)
class ViewTarget:
    """What ``view_url`` links to: exactly one of an order; every order of a patient, by name
    (``LAST^FIRST`` or "Last, First": matched ignoring case and accents, as a whole name), with
    ``birth_date`` also by birth date; or the orders filed in a folder."""

    order_id: UUID | None = None
    patient_name: str = ""
    birth_date: dt.date | None = None
    folder_id: UUID | None = None


@dataclass(frozen=True)
class ViewLink:
    """A short-lived link to the viewer, bound to the IP address it was made for. ``url`` (a
    path, with the secret token in it) is known only in the answer to ``view_url``; listings
    leave it empty."""

    id: UUID
    kind: ViewLinkKind
    label: str  # the patient's name (and accession number) or the folder's name
    client_ip: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked: bool = False
    order_ids: tuple[UUID, ...] = ()  # the orders of an order or patient link (a folder's: at opening)
    folder_id: UUID | None = None
    url: str = ""

    def is_live(self, now: dt.datetime) -> bool:
        return not self.revoked and now < self.expires_at


class ViewLinkUse(StrEnum):
    """Why a view link is being opened: its page (one audit event per opening) or the images
    the page's viewer asks for (no event each: the reads themselves are audited)."""

    PAGE = "page"
    IMAGES = "images"


class ViewLinkRefusal(StrEnum):
    """Why a view link did not open."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    OTHER_ADDRESS = "other_address"
    #: Its maker can no longer act (deactivated) or its folder is gone.
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class ViewLinkAccess:
    """The answer to ``open_view_link``: refused (``refusal``), or the user to act as (the
    link's maker, the contract's actor type) and the orders the link reaches now, to be used
    only inside ``postdicom.context.only_orders(order_ids)``."""

    refusal: ViewLinkRefusal | None
    link: ViewLink | None = None
    actor: object = None
    order_ids: tuple[UUID, ...] = ()
    #: For ``ViewLinkUse.PAGE`` only: the orders ``order_ids`` names, newest first.
    orders: tuple[OrderSummary, ...] = ()


# --- Stored images (the DICOMweb read side) ------------------------------------------------------

#: The most results one QIDO-RS search returns (``limit`` is capped to it).
DICOM_SEARCH_LIMIT = 1000


@dataclass(frozen=True)
class DicomQuery:
    """The matching keys of a QIDO-RS search (PS3.18 §8.3.4), already parsed. Text keys may
    hold the wildcards ``*`` and ``?``; empty means "any". UID keys are lists: any of them
    matches. Keys of a level above the one searched narrow the search too (``Modality``
    for instances); keys of the level below are ignored. ``limit`` ≤ ``DICOM_SEARCH_LIMIT``."""

    patient_name: str = ""
    patient_id: str = ""
    study_date_from: dt.date | None = None
    study_date_to: dt.date | None = None
    accession_number: str = ""
    study_description: str = ""
    modalities: tuple[str, ...] = ()
    study_uids: tuple[str, ...] = ()
    series_uids: tuple[str, ...] = ()
    series_number: int | None = None
    sop_instance_uids: tuple[str, ...] = ()
    sop_class_uids: tuple[str, ...] = ()
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class DicomStudy:
    """A stored study the actor may see, with what QIDO-RS answers about it. ``updated_at``
    is when its newest instance was stored (``Last-Modified``)."""

    order_id: UUID
    study_uid: str
    patient_name: str  # as in the files (PN, all ``=`` groups)
    patient_id: str
    birth_date: dt.date | None
    sex: str
    study_date: dt.date | None
    study_time: dt.time | None
    accession_number: str
    description: str
    referring_physician: str
    modalities: tuple[str, ...]
    series_count: int
    instance_count: int
    updated_at: dt.datetime | None


@dataclass(frozen=True)
class DicomSeries:
    study_uid: str
    series_uid: str
    modality: str
    description: str
    number: int | None
    instance_count: int
    updated_at: dt.datetime | None


@dataclass(frozen=True)
class DicomInstance:
    """A stored instance. ``sha256`` of its file doubles as its entity tag."""

    study_uid: str
    series_uid: str
    sop_instance_uid: str
    sop_class_uid: str
    transfer_syntax_uid: str
    number_of_frames: int
    size: int
    sha256: str
    stored_at: dt.datetime


class DicomReadPurpose(StrEnum):
    """Why ``open_instances`` is called: retrieving files and metadata of a whole study or
    series is audited, frames and rendered images (the viewer's many small reads) are not."""

    RETRIEVE = "retrieve"
    METADATA = "metadata"
    FRAMES = "frames"
    RENDERED = "rendered"


@dataclass(frozen=True)
class Thumbnail:
    """A study's small picture (JPEG), made once and kept in storage: ``open()`` returns a
    binary handle the caller closes (``NotFound`` when the file has gone missing)."""

    order_id: UUID
    study_uid: str
    etag: str
    opener: Callable[[], IO[bytes]] = field(repr=False, compare=False)
    content_type: str = "image/jpeg"

    def open(self) -> IO[bytes]:
        return self.opener()


#: What ``InstanceHeader.json`` holds in place of Pixel Data's BulkDataURI (JSON-escaped, so
#: no value of the data set can look like it): the URL names the mount a request came through.
PIXEL_DATA_URI_PLACEHOLDER = '"BulkDataURI":"\\u0000"'


@dataclass(frozen=True)
class InstanceHeader:
    """What DICOMweb needs of a stored file's header, kept so that no request reads the file
    for it: ``json``, the instance's DICOM JSON object as ``/metadata`` serves it (compact
    text, Pixel Data's BulkDataURI left as ``PIXEL_DATA_URI_PLACEHOLDER``; empty unless the
    instances were opened for ``METADATA``), and where the pixel data's value starts in the
    file (``pixels_at``; None for a file without pixel data) in ``transfer_syntax``, with its
    number of ``frames`` and the bytes of one uncompressed frame (``frame_size``; 0 when
    compressed, deflated or not on byte boundaries)."""

    json: str
    transfer_syntax: str
    pixels_at: int | None
    frames: int
    frame_size: int


@dataclass(frozen=True)
class StoredInstances:
    """Instances the actor may read, in series and instance order, and a way to open their
    files: ``open(instance)`` returns a seekable binary handle the caller closes (``NotFound``
    when the file has gone missing from storage). ``headers()`` gives their kept headers by
    SOP Instance UID (read from the files and kept the first time; an instance whose file is
    missing or unreadable is left out); a backend that keeps none leaves ``header_source``
    None and the caller reads the files."""

    order_id: UUID
    study_uid: str
    instances: tuple[DicomInstance, ...]
    opener: Callable[[DicomInstance], IO[bytes]] = field(repr=False, compare=False)
    header_source: Callable[[], Mapping[str, InstanceHeader]] | None = field(default=None, repr=False, compare=False)

    def open(self, instance: DicomInstance) -> IO[bytes]:
        return self.opener(instance)

    def headers(self) -> Mapping[str, InstanceHeader] | None:
        return self.header_source() if self.header_source is not None else None

    @property
    def updated_at(self) -> dt.datetime | None:
        return max((i.stored_at for i in self.instances), default=None)
