"""PostDICOM's order endpoints: create, list, properties, delete, assign to a user or group."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from postdicom import get_api
from postdicom import types as t
from postdicom.errors import NotFound
from postdicom.server.custom import shapes
from postdicom.server.custom.endpoint import MissingParameter, endpoint, ok
from postdicom.server.custom.params import Kind, Param, Spec

#: ``OrderDraft`` field ← text parameter of CreatePatientOrder (besides the dates and ids).
_DRAFT_TEXT = {
    "PatientName": "patient_name",
    "PatientId": "patient_id",
    "Modality": "modality",
    "OtherPatientId": "other_patient_id",
    "PatientSex": "sex",
    "StudyDescription": "study_description",
    "AccessionNumber": "accession_number",
    "PatientComplaints": "complaints",
    "PatientHistory": "history",
    "PatientSymptom": "symptom",
    "Priority": "priority",
    "RequestedProcedureId": "procedure_id",
    "RequestedProcedureDescription": "procedure_description",
    "RequestingPhysician": "requesting_physician",
    "RequestingDepartment": "requesting_department",
    "ReferringPhysiciansName": "referring_physician",
    "OrderNote1": "note1",
    "OrderNote2": "note2",
}
_REQUIRED_TEXT = {"PatientName", "PatientId", "Modality"}
#: The most orders one GetPatientOrderList answer lists (``PageSize`` is capped to it).
PAGE_SIZE_MAX = 500

CREATE = Spec(
    "CreatePatientOrderParameters",
    (
        Param("InstitutionUuid", Kind.UUID, required=True, fields=("institution_id",)),
        Param("PatientBirthdate", Kind.DATE, required=True, fields=("birth_date",)),
        Param("OrderScheduledDatetime", Kind.DATETIME, fields=("order_date", "order_time")),
        Param("ScheduledEquipmentUuid", Kind.UUID, fields=("scheduled_equipment_id",)),
        *(Param(name, required=name in _REQUIRED_TEXT, fields=(field,)) for name, field in _DRAFT_TEXT.items()),
    ),
)


@endpoint(CREATE)
def create_patient_order(actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """CreatePatientOrder: a scheduled order; without OrderScheduledDatetime, for today."""
    when = values["OrderScheduledDatetime"]
    day, time = timezone.localdate(), None
    if isinstance(when, dt.datetime):
        day, time = when.date(), when.time()
    elif when is not None:
        day = when
    draft = t.OrderDraft(
        **{field: values[name] for name, field in _DRAFT_TEXT.items() if field != "sex"},
        sex=values["PatientSex"].upper(),  # "m" as well as "M"
        birth_date=values["PatientBirthdate"],
        order_date=day,
        order_time=time,
        scheduled_equipment_id=values["ScheduledEquipmentUuid"],
    )
    created = get_api().create_order(actor=actor, institution_id=values["InstitutionUuid"], draft=draft)
    return ok(
        PatientOrderUuid=str(created.id),
        PatientOrderInstitutionUuid=str(created.institution.id),
        PatientOrder=shapes.order(created),
    )


LIST = Spec(
    "GetPatientOrderListParameters",
    (
        Param("InstitutionUuidList", Kind.UUID_LIST, fields=("institution_ids",)),
        Param("PatientName", fields=("patient_name",)),
        Param("PatientId", fields=("patient_id",)),
        Param("OtherPatientId", fields=("other_patient_id",)),
        Param("AccessionNumber", fields=("accession_number",)),
        Param("ModalityList", Kind.TEXT_LIST, fields=("modalities",)),
        Param("StudyDateFrom", Kind.DATE, fields=("date_from",)),
        Param("StudyDateTo", Kind.DATE, fields=("date_to",)),
        Param("PatientBirthdateFrom", Kind.DATE, fields=("birth_date_from",)),
        Param("PatientBirthdateTo", Kind.DATE, fields=("birth_date_to",)),
        Param("FolderUuid", Kind.UUID, fields=("folder_id",)),
        Param("Page", Kind.NUMBER, default=1, fields=("page",)),
        Param("PageSize", Kind.NUMBER, default=100, fields=("page_size",)),
    ),
)


@endpoint(LIST)
def get_patient_order_list(actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """GetPatientOrderList (…WithDateRange, …WithBirthdate, …InFolder): the orders the caller
    sees matching every filter given, newest first, one page (``Page``, ``PageSize`` ≤ 500)."""
    query = t.OrderQuery(
        institution_ids=values["InstitutionUuidList"],
        patient_name=values["PatientName"],
        patient_id=values["PatientId"],
        other_patient_id=values["OtherPatientId"],
        accession_number=values["AccessionNumber"],
        modalities=values["ModalityList"],
        date_from=values["StudyDateFrom"],
        date_to=values["StudyDateTo"],
        birth_date_from=values["PatientBirthdateFrom"],
        birth_date_to=values["PatientBirthdateTo"],
        folder_id=values["FolderUuid"],
        page=values["Page"],
        page_size=min(values["PageSize"], PAGE_SIZE_MAX),
    )
    found = get_api().search_orders(actor=actor, query=query)
    return ok(
        SearchResultList=[shapes.order(o) for o in found.items],
        TotalCount=found.total,
        Page=found.number,
        PageSize=found.size,
    )


def _order_pair(required: bool = True) -> tuple[Param, Param]:
    return (
        Param("PatientOrderInstitutionUuid", Kind.UUID, required=required),
        Param("PatientOrderUuid", Kind.UUID, required=True, fields=("order_id", "order_ids")),
    )


def not_in_institution() -> NotFound:
    return MissingParameter(
        "PatientOrderUuid", _("No order with this PatientOrderUuid in the institution PatientOrderInstitutionUuid.")
    )


def check_institution(actor: User, order_id: UUID, institution_id: UUID | None) -> None:
    """``NotFound`` unless the caller sees the live order ``order_id`` in ``institution_id``
    (PostDICOM names an order by the pair)."""
    if institution_id is None:
        return
    query = t.OrderQuery(order_ids=(order_id,), institution_ids=(institution_id,), page_size=1)
    if not get_api().search_orders(actor=actor, query=query).items:
        raise not_in_institution()


#: PostDICOM needs the institution too; a Rayport also finds an order by its id alone (the
#: cloud backend sends the pair when it knows it).
PROPERTIES = Spec("GetPatientOrderPropertiesParameters", _order_pair(required=False))


@endpoint(PROPERTIES)
def get_patient_order_properties(actor: User, values: dict[str, Any]) -> dict[str, Any]:
    detail = get_api().order_properties(actor=actor, order_id=values["PatientOrderUuid"])
    named = values["PatientOrderInstitutionUuid"]
    if named is not None and detail.summary.institution.id != named:
        raise not_in_institution()
    return ok(PatientOrder=shapes.order_properties(detail))


DELETE = Spec("DeleteOrderParameters", _order_pair(required=False))


@endpoint(DELETE)
def delete_order(actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """DeleteOrder: to the recycle bin (restorable from the portal)."""
    order_id = values["PatientOrderUuid"]
    check_institution(actor, order_id, values["PatientOrderInstitutionUuid"])
    get_api().delete_order(actor=actor, order_id=order_id)
    return ok(PatientOrderUuid=str(order_id))


ASSIGN_USER = Spec(
    "AssignOrderToUserParameters",
    (
        Param("PatientOrderUuid", Kind.UUID, required=True, fields=("order_id",)),
        Param("AssignedUserUuid", Kind.UUID, required=True, fields=("user_id",)),
    ),
)


@endpoint(ASSIGN_USER)
def assign_order_to_user(actor: User, values: dict[str, Any]) -> dict[str, Any]:
    get_api().assign_order(actor=actor, order_id=values["PatientOrderUuid"], user_id=values["AssignedUserUuid"])
    return ok()


ASSIGN_GROUP = Spec(
    "AssignOrderToUserGroupParameters",
    (
        Param("PatientOrderUuid", Kind.UUID, required=True, fields=("order_id",)),
        Param("AssignedUserGroupUuid", Kind.UUID, required=True, fields=("group_id",)),
    ),
)


@endpoint(ASSIGN_GROUP)
def assign_order_to_user_group(actor: User, values: dict[str, Any]) -> dict[str, Any]:
    get_api().assign_order(actor=actor, order_id=values["PatientOrderUuid"], group_id=values["AssignedUserGroupUuid"])
    return ok()
