"""Rows → the frozen values of ``postdicom.types``. Nothing else turns a model into a type."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from postdicom import types as t
from postdicom.dicom.problems import stored_sentence, stored_warning_sentence
from postdicom.local.access import profile_of
from postdicom.local.models import (
    ApiKeyRecord,
    AuditRecord,
    DicomNodeRecord,
    DocumentRecord,
    FlagGroupRecord,
    FlagRecord,
    FolderShare,
    Institution,
    PatientOrder,
    SeriesRecord,
    StudyRecord,
    UploadItem,
    UserGroup,
    ViewLinkRecord,
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
        actor_full_name=row.actor.get_full_name() if row.actor_id is not None and row.actor is not None else "",
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


def view_link(row: ViewLinkRecord, *, url: str = "") -> t.ViewLink:
    return t.ViewLink(
        id=row.uuid,
        kind=t.ViewLinkKind(row.kind),
        label=row.label,
        client_ip=row.client_ip,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked=row.revoked_at is not None,
        order_ids=tuple(UUID(value) for value in row.order_ids),
        folder_id=row.folder.uuid if row.folder is not None else None,
        url=url,
    )


# --- Orders ---------------------------------------------------------------------------------------


def order_flags(row: PatientOrder) -> tuple[t.Flag, ...]:
    """The order's flags by group name; uses ``order_flags`` prefetched with ``flag__group``
    (see ``postdicom.local.orders.search.with_summary_data``)."""
    links = sorted(row.order_flags.all(), key=lambda link: (link.flag.group.name.casefold(), link.flag.group.pk))
    return tuple(flag(link.flag) for link in links)


def order_summary(row: PatientOrder) -> t.OrderSummary:
    """Needs ``institution`` selected and ``order_flags`` prefetched to stay at one query."""
    return t.OrderSummary(
        id=row.uuid,
        institution=institution(row.institution),
        patient_name=row.patient_name,
        patient_id=row.patient_id,
        other_patient_id=row.other_patient_id,
        birth_date=row.birth_date,
        sex=row.sex,
        modality=row.modality,
        accession_number=row.accession_number,
        study_description=row.study_description,
        order_date=row.order_date,
        order_time=row.order_time,
        status=t.OrderStatus(row.status),
        flags=order_flags(row),
        group_id=row.group.uuid if row.group_id is not None and row.group is not None else None,
        created_at=row.created_at,
        image_count=getattr(row, "image_count", 0),
        document_count=getattr(row, "document_count", 0),
    )


def order_draft(row: PatientOrder) -> t.OrderDraft:
    """Every property of the order, as the draft that would create it."""
    node = row.scheduled_equipment
    return t.OrderDraft(
        patient_name=row.patient_name,
        patient_id=row.patient_id,
        modality=row.modality,
        order_date=row.order_date,
        order_time=row.order_time,
        study_description=row.study_description,
        other_patient_id=row.other_patient_id,
        birth_date=row.birth_date,
        sex=row.sex,
        accession_number=row.accession_number,
        complaints=row.complaints,
        history=row.history,
        symptom=row.symptom,
        priority=row.priority,
        requesting_physician=row.requesting_physician,
        requesting_department=row.requesting_department,
        referring_physician=row.referring_physician,
        procedure_id=row.procedure_id,
        procedure_description=row.procedure_description,
        scheduled_equipment_id=node.uuid if node is not None else None,
        performed_at=row.performed_at,
        note1=row.note1,
        note2=row.note2,
    )


def recycled_order(row: PatientOrder, *, keep_days: int, can_purge: bool = False) -> t.RecycledOrder:
    """An order in the recycle bin; it is purged ``keep_days`` after it was deleted."""
    assert row.deleted_at is not None
    deleted_by = row.deleted_by
    return t.RecycledOrder(
        order=order_summary(row),
        deleted_at=row.deleted_at,
        deleted_by=(deleted_by.get_full_name() or deleted_by.get_username()) if deleted_by is not None else "",
        purge_at=row.deleted_at + dt.timedelta(days=keep_days),
        can_purge=can_purge,
    )


# --- Folders --------------------------------------------------------------------------------------


class FolderFields(Protocol):
    """What ``folder`` reads: a ``Folder`` row, or a named ``values_list`` row of it."""

    @property
    def uuid(self) -> UUID: ...

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...


def folder_ref(row: FolderFields) -> t.FolderRef:
    return t.FolderRef(id=row.uuid, name=row.name)


def folder(
    row: FolderFields,
    *,
    parent_id: UUID | None,
    ancestors: tuple[t.FolderRef, ...] = (),
    order_count: int = 0,
    all_sub_order_count: int = 0,
    sub_folder_count: int = 0,
    all_sub_folder_count: int = 0,
    rights: t.FolderRights,
) -> t.Folder:
    """A folder; its parent's id, ancestors and counts come from the tree around it
    (``postdicom.local.folders.tree``). ``rights``: what the actor may do with it
    (``t.OWNER_RIGHTS`` in their own tree, ``reach.Access.rights`` in a shared one)."""
    return t.Folder(
        id=row.uuid,
        name=row.name,
        description=row.description,
        parent_id=parent_id,
        order_count=order_count,
        all_sub_order_count=all_sub_order_count,
        sub_folder_count=sub_folder_count,
        all_sub_folder_count=all_sub_folder_count,
        ancestors=ancestors,
        rights=rights,
    )


def person(row: User) -> t.PersonRef:
    """A user named in a share."""
    return t.PersonRef(id=profile_of(row).uuid, name=row.get_full_name() or row.username, username=row.username)


def folder_share(row: FolderShare, *, today: dt.date) -> t.Share:
    """A folder shared with an account user or a user group (``row.folder``, ``user``,
    ``group`` and ``shared_by`` loaded with it)."""
    return t.Share(
        id=row.uuid,
        kind=t.ShareKind.GROUP if row.group is not None else t.ShareKind.USER,
        expires=row.expires,
        revoked=row.revoked_at is not None,
        folder=folder_ref(row.folder),
        user=person(row.user) if row.user is not None else None,
        group=t.GroupRef(id=row.group.uuid, name=row.group.name) if row.group is not None else None,
        shared_by=person(row.shared_by),
        may_edit=row.may_edit,
        may_reshare=row.may_reshare,
        includes_restricted_orders=row.includes_restricted_orders,
        expired=row.expires is not None and row.expires < today,
        created_at=row.created_at,
    )


# --- Uploads, the image index and documents ---------------------------------------------------------


def upload_file_state(item: UploadItem, order_uuids: dict[int, UUID] | None = None) -> t.UploadFileState:
    """``order_uuids`` maps the pks of the orders the actor may see to their ids; other
    orders are not named."""
    order_id = (order_uuids or {}).get(item.order_id) if item.order_id is not None else None
    return t.UploadFileState(
        id=item.uuid,
        name=item.name,
        size=item.size,
        received=item.received,
        outcome=t.UploadOutcome(item.state),
        # stored as a code and its parameters: worded here, in the reader's language
        reason=stored_sentence(item.code, item.reason),
        last_modified=item.last_modified,
        order_id=order_id,
        # codes and their parameters too (plain sentences in rows written before them)
        warnings=tuple(stored_warning_sentence(w) for w in item.warnings or ()),
    )


def series(row: SeriesRecord) -> t.SeriesInfo:
    """Needs ``image_count`` annotated (stored instances)."""
    return t.SeriesInfo(
        id=row.uuid,
        series_uid=row.series_uid,
        modality=row.modality,
        description=row.description,
        number=row.number,
        image_count=getattr(row, "image_count", 0),
    )


def study(row: StudyRecord) -> t.StudyInfo:
    """Needs ``series`` prefetched with ``image_count`` annotated."""
    parts = tuple(series(s) for s in row.series.all())
    return t.StudyInfo(
        id=row.uuid,
        study_uid=row.study_uid,
        study_date=row.study_date,
        description=row.description,
        series=parts,
        image_count=sum(s.image_count for s in parts),
    )


def document(row: DocumentRecord, order_uuid: UUID, *, can_delete: bool = False) -> t.Document:
    who = row.uploaded_by
    return t.Document(
        id=row.uuid,
        order_id=order_uuid,
        name=row.name,
        kind=row.kind,
        content_type=row.content_type,
        size=row.size,
        uploaded_by=(who.get_full_name() or who.get_username()) if who is not None else "",
        uploaded_at=row.uploaded_at,
        can_delete=can_delete,
    )
