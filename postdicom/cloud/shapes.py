"""PostDICOM's JSON results back into the contract's types (the reverse of
``postdicom.server.custom.shapes``): ``PatientOrderUuid``, ``OrderModality``, ``SubFolderList``…

Results are read defensively: a key a server leaves out becomes an empty value, and a value
that cannot be read is ``Unavailable`` (the server answered something this portal cannot
use), never an exception from deep inside a page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import Unavailable

Json = Mapping[str, Any]


def _unreadable(what: str) -> Unavailable:
    return Unavailable(_("The image server sent %(what)s that could not be read.") % {"what": what})


def _text(item: Json, key: str) -> str:
    value = item.get(key, "")
    return "" if value is None else str(value)


def _uuid(item: Json, key: str) -> UUID | None:
    text = _text(item, key)
    if not text:
        return None
    try:
        return UUID(text)
    except ValueError:
        raise _unreadable(key) from None


def _required_uuid(item: Json, key: str) -> UUID:
    value = _uuid(item, key)
    if value is None:
        raise _unreadable(key)
    return value


def _date(item: Json, key: str) -> dt.date | None:
    text = _text(item, key)[:10]
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        raise _unreadable(key) from None


def _moment(item: Json, key: str) -> tuple[dt.date | None, dt.time | None]:
    """A ``YYYY-MM-DD[ HH:MM]`` value as its date and time."""
    text = _text(item, key)
    day = _date(item, key)
    if len(text) < 16:
        return day, None
    try:
        return day, dt.time.fromisoformat(text[11:16])
    except ValueError:
        raise _unreadable(key) from None


def _int(item: Json, key: str) -> int:
    try:
        return int(item.get(key) or 0)
    except (TypeError, ValueError):
        raise _unreadable(key) from None


def order(item: Json) -> t.OrderSummary:
    day, time = _moment(item, "OrderScheduledDatetime")
    status = _text(item, "OrderStatus") or t.OrderStatus.SCHEDULED.value
    try:
        known = t.OrderStatus(status)
    except ValueError:
        known = t.OrderStatus.SCHEDULED
    return t.OrderSummary(
        id=_required_uuid(item, "PatientOrderUuid"),
        institution=t.Institution(
            id=_required_uuid(item, "PatientOrderInstitutionUuid"), name=_text(item, "InstitutionName")
        ),
        patient_name=_text(item, "PatientName"),
        patient_id=_text(item, "PatientId"),
        other_patient_id=_text(item, "OtherPatientId"),
        birth_date=_date(item, "PatientBirthdate"),
        sex=_text(item, "PatientSex"),
        modality=_text(item, "OrderModality"),
        accession_number=_text(item, "AccessionNumber"),
        study_description=_text(item, "StudyDescription"),
        order_date=day or dt.date.min,
        order_time=time,
        status=known,
        flags=tuple(
            t.Flag(
                id=_required_uuid(f, "FlagUuid"),
                group_id=_required_uuid(f, "FlagGroupUuid"),
                name=_text(f, "FlagName"),
                color="#888888",
            )
            for f in item.get("FlagList") or ()
            if isinstance(f, Mapping)
        ),
        image_count=_int(item, "ImagesCount"),
        document_count=_int(item, "DocumentsCount"),
        group_id=_uuid(item, "ConnectedGroupUuid"),
    )


#: ``OrderDraft`` field ← PostDICOM key, for the text properties of GetPatientOrderProperties.
DRAFT_TEXT = {
    "patient_name": "PatientName",
    "patient_id": "PatientId",
    "modality": "OrderModality",
    "other_patient_id": "OtherPatientId",
    "sex": "PatientSex",
    "study_description": "StudyDescription",
    "accession_number": "AccessionNumber",
    "complaints": "PatientComplaints",
    "history": "PatientHistory",
    "symptom": "PatientSymptom",
    "priority": "Priority",
    "requesting_physician": "RequestingPhysician",
    "requesting_department": "RequestingDepartment",
    "referring_physician": "ReferringPhysiciansName",
    "procedure_id": "RequestedProcedureId",
    "procedure_description": "RequestedProcedureDescription",
    "note1": "OrderNote1",
    "note2": "OrderNote2",
}


def order_detail(item: Json) -> t.OrderDetail:
    """GetPatientOrderProperties, its studies and series included (``StudyList``). What
    PostDICOM's answer does not carry (history, viewers) stays empty; ``can_manage`` is the
    server's ``CanManage`` (False when it does not say, so the pages offer no change it
    might refuse)."""
    summary = order(item)
    created_day, created_time = _moment(item, "CreatedDatetime")
    performed_day, performed_time = _moment(item, "PerformedDatetime")
    text: dict[str, Any] = {field: _text(item, key) for field, key in DRAFT_TEXT.items()}
    draft = t.OrderDraft(
        **text,
        order_date=summary.order_date,
        order_time=summary.order_time,
        birth_date=summary.birth_date,
        scheduled_equipment_id=_uuid(item, "ScheduledEquipmentUuid"),
    )
    return t.OrderDetail(
        summary=summary,
        draft=draft,
        created_by=_text(item, "CreatedBy"),
        created_at=_combine(created_day, created_time) or dt.datetime.min.replace(tzinfo=dt.UTC),
        performed_at=_combine(performed_day, performed_time),
        folders=tuple(
            t.Folder(id=_required_uuid(f, "FolderUuid"), name=_text(f, "FolderName"), description="", parent_id=None)
            for f in item.get("FolderList") or ()
            if isinstance(f, Mapping)
        ),
        can_manage=item.get("CanManage") in (True, "True", "true"),
        studies=tuple(study(s) for s in item.get("StudyList") or () if isinstance(s, Mapping)),
    )


def _id_of(item: Json, key: str, uid: str) -> UUID:
    """The server's id of a study or series, else one made from its DICOM UID (PostDICOM's
    own StudyList names no study id): the same UID always gives the same id."""
    return _uuid(item, key) or uuid.uuid5(uuid.NAMESPACE_OID, uid)


def study(item: Json) -> t.StudyInfo:
    """A ``StudyList`` entry of GetPatientOrderProperties, with its ``SeriesList``."""
    uid = _text(item, "StudyInstanceUid")
    if not uid:
        raise _unreadable("StudyInstanceUid")
    series = []
    for entry in item.get("SeriesList") or ():
        if not isinstance(entry, Mapping):
            continue
        series_uid = _text(entry, "SeriesInstanceUid")
        if not series_uid:
            raise _unreadable("SeriesInstanceUid")
        number = _text(entry, "SeriesNumber")
        series.append(
            t.SeriesInfo(
                id=_id_of(entry, "PatientSeriesUuid", series_uid),
                series_uid=series_uid,
                modality=_text(entry, "Modality"),
                description=_text(entry, "SeriesDescription"),
                number=_int(entry, "SeriesNumber") if number else None,
                image_count=_int(entry, "ImagesCount"),
            )
        )
    return t.StudyInfo(
        id=_id_of(item, "PatientStudyUuid", uid),
        study_uid=uid,
        study_date=_date(item, "StudyDate"),
        description=_text(item, "StudyDescription"),
        series=tuple(series),
        image_count=_int(item, "ImagesCount"),
    )


def _combine(day: dt.date | None, time: dt.time | None) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day, time or dt.time(), tzinfo=dt.UTC)


def folder(item: Json) -> t.Folder:
    return t.Folder(
        id=_required_uuid(item, "FolderUuid"),
        name=_text(item, "FolderName"),
        description=_text(item, "FolderDescription"),
        parent_id=_uuid(item, "ParentFolderUuid"),
        order_count=_int(item, "OrderCount"),
        all_sub_order_count=_int(item, "AllSubOrderCount"),
        sub_folder_count=_int(item, "SubFolderCount"),
        all_sub_folder_count=_int(item, "AllSubFolderCount"),
        is_shared=str(item.get("IsShared", "")).lower() == "true",
    )


def success(answer: Any) -> Json:
    """The answer of a custom endpoint, checked to be PostDICOM's ``{"Success": true, …}``."""
    if not isinstance(answer, Mapping) or answer.get("Success") not in (True, "True", "true"):
        raise _unreadable(_("an answer"))
    return answer


def share(item: Json, options: t.ShareOptions) -> t.Share:
    """A share link made by the server (``ShareUuid``, ``ShareUrl``…), with what was asked."""
    url = _text(item, "ShareUrl")
    if not url:
        raise _unreadable("ShareUrl")
    return t.Share(
        id=_required_uuid(item, "ShareUuid"),
        url=url,
        expires=_date(item, "ExpireDate"),
        downloadable=str(item.get("Downloadable", "")).lower() == "true",
        kind=t.ShareKind.LINK,
        title=options.title,
        message=options.message,
        has_password=bool(options.password),
        can_manage=True,
    )
