"""The service's results as PostDICOM's JSON (the key names of its Cloud API results:
``PatientOrderUuid``, ``OrderModality``, ``SubFolderList``…). Dates are ``YYYY-MM-DD``,
date-times ``YYYY-MM-DD HH:MM``, ids GUID strings, absent values ""."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from postdicom import types as t

Json = dict[str, Any]


def _id(value: UUID | None) -> str:
    return str(value) if value else ""


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _datetime(day: dt.date | None, time: dt.time | None = None) -> str:
    if day is None:
        return ""
    return f"{day.isoformat()} {time:%H:%M}" if time else day.isoformat()


def _moment(value: dt.datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


def order(summary: t.OrderSummary) -> Json:
    """An order as GetPatientOrderList lists it."""
    return {
        "PatientOrderUuid": str(summary.id),
        "PatientOrderInstitutionUuid": str(summary.institution.id),
        "InstitutionName": summary.institution.name,
        "PatientName": summary.patient_name,
        "PatientId": summary.patient_id,
        "OtherPatientId": summary.other_patient_id,
        "PatientBirthdate": _date(summary.birth_date),
        "PatientSex": summary.sex,
        "OrderModality": summary.modality,
        "AccessionNumber": summary.accession_number,
        "StudyDescription": summary.study_description,
        "OrderScheduledDatetime": _datetime(summary.order_date, summary.order_time),
        "OrderStatus": summary.status.value,
        "ConnectedGroupUuid": _id(summary.group_id),
        "ImagesCount": summary.image_count,
        "DocumentsCount": summary.document_count,
        "FlagList": [
            {"FlagGroupUuid": str(f.group_id), "FlagUuid": str(f.id), "FlagName": f.name} for f in summary.flags
        ],
    }


def order_properties(detail: t.OrderDetail) -> Json:
    """Every property of an order (GetPatientOrderProperties)."""
    draft = detail.draft
    return {
        **order(detail.summary),
        "PatientComplaints": draft.complaints,
        "PatientHistory": draft.history,
        "PatientSymptom": draft.symptom,
        "Priority": draft.priority,
        "RequestingPhysician": draft.requesting_physician,
        "RequestingDepartment": draft.requesting_department,
        "ReferringPhysiciansName": draft.referring_physician,
        "RequestedProcedureId": draft.procedure_id,
        "RequestedProcedureDescription": draft.procedure_description,
        "ScheduledEquipmentUuid": _id(draft.scheduled_equipment_id),
        "OrderNote1": draft.note1,
        "OrderNote2": draft.note2,
        "PerformedDatetime": _moment(detail.performed_at),
        "CreatedBy": detail.created_by,
        "CreatedDatetime": _moment(detail.created_at),
        "AssignedUserList": [
            {"UserUuid": str(u.id), "UserName": u.username, "FullName": f"{u.first_name} {u.last_name}".strip()}
            for u in detail.assigned_users
        ],
        "AssignedUserGroupList": [
            {"UserGroupUuid": str(g.id), "UserGroupName": g.name} for g in detail.assigned_groups
        ],
        "LinkedOrderUuidList": [str(o.id) for o in detail.linked_orders],
        "CanManage": detail.can_manage,
        "FolderList": [{"FolderUuid": str(f.id), "FolderName": f.name} for f in detail.folders],
        "StudyList": [_study(s) for s in detail.studies],
        "DocumentList": [
            {
                "DocumentUuid": str(d.id),
                "FileName": d.name,
                "DocumentType": d.kind,
                "ContentType": d.content_type,
                "Size": d.size,
            }
            for d in detail.documents
        ],
    }


def _study(study: t.StudyInfo) -> Json:
    return {
        "PatientStudyUuid": str(study.id),
        "StudyInstanceUid": study.study_uid,
        "StudyDate": _date(study.study_date),
        "StudyDescription": study.description,
        "ImagesCount": study.image_count,
        "SeriesList": [
            {
                "PatientSeriesUuid": str(s.id),
                "SeriesInstanceUid": s.series_uid,
                "Modality": s.modality,
                "SeriesDescription": s.description,
                "SeriesNumber": s.number,
                "ImagesCount": s.image_count,
            }
            for s in study.series
        ],
    }


def folder(item: t.Folder) -> Json:
    """A folder as SearchFolder lists it (``SubFolderList`` entries)."""
    return {
        "FolderUuid": str(item.id),
        "FolderName": item.name,
        "FolderDescription": item.description,
        "ParentFolderUuid": _id(item.parent_id),
        "IsShared": item.is_shared,
        "OrderCount": item.order_count,
        "AllSubOrderCount": item.all_sub_order_count,
        "SubFolderCount": item.sub_folder_count,
        "AllSubFolderCount": item.all_sub_folder_count,
    }


def share(item: t.Share) -> Json:
    return {
        "ShareUuid": str(item.id),
        "ShareUrl": item.url,
        "ExpireDate": _date(item.expires),
        "Downloadable": item.downloadable,
    }
