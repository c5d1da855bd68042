"""Values that cross the service-layer boundary.

Frozen dataclasses only: no ORM object leaks out of a backend, so a page renders the same
whether the data came from the local database or from PostDICOM over HTTP. Ids are UUIDs.
Inputs (``…Draft``, ``…Query``) are built by forms from ``cleaned_data``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar
from uuid import UUID

T = TypeVar("T")


class Role(StrEnum):
    """What a user may do. Administrators manage the account; staff see every order of
    their institutions; limited users see only what is assigned or shared to them and what
    they uploaded themselves."""

    ADMINISTRATOR = "administrator"
    STAFF = "staff"
    LIMITED = "limited"


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer result. ``number`` counts from 1."""

    items: tuple[T, ...]
    total: int
    number: int = 1
    size: int = 50

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
    text: str = ""
    action: str = ""
    actor_id: UUID | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    page: int = 1
    page_size: int = 50


# --- Orders (built out by the orders issue) -------------------------------------------------------


class OrderStatus(StrEnum):
    SCHEDULED = "scheduled"
    IMAGES_RECEIVED = "images_received"
    REPORTED = "reported"
    CLOSED = "closed"


@dataclass(frozen=True)
class OrderDraft:
    """Every field of CreateOrderWithMinimumParameters/FullParameters/FullParameters2/JSON."""

    patient_name: str  # LAST^FIRST^MIDDLE
    patient_id: str
    modality: str
    order_date: dt.date
    order_time: dt.time | None = None
    study_description: str = ""
    other_patient_id: str = ""
    birth_date: dt.date | None = None
    sex: str = ""
    accession_number: str = ""
    complaints: str = ""
    history: str = ""
    symptom: str = ""
    priority: str = ""
    requesting_physician: str = ""
    requesting_department: str = ""
    referring_physician: str = ""
    procedure_id: str = ""
    procedure_description: str = ""
    scheduled_equipment_id: UUID | None = None
    performed_at: dt.datetime | None = None
    note1: str = ""
    note2: str = ""


@dataclass(frozen=True)
class OrderQuery:
    patient_name: str = ""
    patient_id: str = ""
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
    assigned_to_me: bool = False
    folder_id: UUID | None = None
    sort: str = "-order_date"
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class OrderSummary:
    id: UUID
    institution: Institution
    patient_name: str
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
    group_id: UUID | None = None


@dataclass(frozen=True)
class OrderDetail:
    summary: OrderSummary
    draft: OrderDraft
    created_by: str
    created_at: dt.datetime
    assigned_users: tuple[UserInfo, ...] = ()
    assigned_groups: tuple[UserGroupInfo, ...] = ()
    linked_orders: tuple[OrderSummary, ...] = ()
    history: tuple[AuditEvent, ...] = ()


# --- Files (built out by the uploads issue) ---------------------------------------------------------


@dataclass(frozen=True)
class Anonymization:
    """Replacement values for PostDICOM's tag list, and/or the PS3.15 basic profile."""

    replacements: Mapping[str, str] = field(default_factory=dict)
    basic_profile: bool = False


@dataclass(frozen=True)
class UploadFile:
    """A file already on local disk (the web process streamed it there)."""

    name: str
    path: str
    size: int


@dataclass(frozen=True)
class DicomFileSummary:
    name: str
    readable: bool
    reason: str = ""
    patient_name: str = ""
    patient_id: str = ""
    birth_date: str = ""
    modality: str = ""
    study_uid: str = ""
    study_date: str = ""
    study_description: str = ""
    series_uid: str = ""
    sop_instance_uid: str = ""


@dataclass(frozen=True)
class UploadReceipt:
    batch_id: UUID
    file_count: int


@dataclass(frozen=True)
class Document:
    id: UUID
    name: str
    content_type: str
    size: int
    uploaded_by: str
    uploaded_at: dt.datetime


# --- Folders and sharing (built out by their issues) -------------------------------------------------


@dataclass(frozen=True)
class Folder:
    id: UUID
    name: str
    description: str
    parent_id: UUID | None
    order_count: int = 0
    all_sub_order_count: int = 0
    sub_folder_count: int = 0
    all_sub_folder_count: int = 0
    is_shared: bool = False


@dataclass(frozen=True)
class FolderListing:
    folder: Folder | None  # None: the root
    sub_folders: tuple[Folder, ...]
    orders: tuple[OrderSummary, ...] = ()


@dataclass(frozen=True)
class ShareAudience:
    """Who receives a folder share: exactly one kind is set."""

    email: str = ""
    password_email: str = ""
    link: bool = False
    upload_only: bool = False
    user_ids: tuple[UUID, ...] = ()
    group_ids: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class Share:
    id: UUID
    url: str
    expires: dt.date | None
    downloadable: bool
    revoked: bool = False


@dataclass(frozen=True)
class ViewLink:
    url: str
    expires_at: dt.datetime
