"""Which order a study joins, and the index rows of a stored instance.

A study (Study Instance UID) belongs to one order for good. A study not seen before joins,
in this order of preference:

1. the live order of the batch's institution with the same accession number (a scheduled
   order first; a scheduled order's status becomes "images received");
2. else a new order in the batch's institution, created by the uploader from the file's
   patient and study (status "images received").

Claiming instances (``claim_instances``) inserts their rows before their files are written:
the unique SOP Instance UID decides, in the database, which of several concurrent senders
stores each; the others learn it is a duplicate. The row remembers the claiming upload item, so that
the same item run again after a crash continues its own claim.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Upper
from django.utils import timezone

from postdicom import types as t
from postdicom.dicom.read import DicomSummary
from postdicom.local.audit import record
from postdicom.local.bulk import model_field, value_rows
from postdicom.local.models import InstanceRecord, PatientOrder, SeriesRecord, StudyRecord, UploadBatch, UploadItem
from postdicom.local.orders.visibility import order_label
from postdicom.types import AuditAction

_MODALITY = re.compile(r"^[A-Z0-9]{1,16}$")


def _order_name(patient_name: str) -> str:
    """The first non-empty ``=`` group of a DICOM name, as an order's LAST^FIRST^MIDDLE."""
    groups = [g for g in patient_name.split("=") if g.replace("^", "").strip()]
    parts = [" ".join(p.split())[:64] for p in (groups[0] if groups else "").split("^")][:5]
    while parts and not parts[-1]:
        parts.pop()
    return "^".join(parts)[:200]


def _modality(value: str) -> str:
    first = (value or "").split("\\")[0].strip().upper()
    return first if _MODALITY.match(first) else "OT"


def _text(value: str, limit: int) -> str:
    return " ".join((value or "").split())[:limit]


def _scheduled_or_matching(batch: UploadBatch, accession: str) -> PatientOrder | None:
    if not accession:
        return None
    rows = (
        PatientOrder.objects.annotate(acc=Upper("accession_number"))
        .filter(institution=batch.institution, deleted_at__isnull=True, acc=accession.upper())
        .select_for_update(of=("self",))
    )
    return rows.filter(status=t.OrderStatus.SCHEDULED.value).first() or rows.first()


def _create_order(batch: UploadBatch, summary: DicomSummary) -> PatientOrder:
    study_time = summary.study_time.replace(second=0, microsecond=0) if summary.study_time else None
    values = {
        "institution": batch.institution,
        "status": t.OrderStatus.IMAGES_RECEIVED.value,
        "patient_name": _order_name(summary.patient_name) or "UNKNOWN",
        "patient_id": _text(summary.patient_id, 64),
        "birth_date": summary.birth_date,
        "sex": summary.sex,
        "modality": _modality(summary.modality),
        "study_description": _text(summary.study_description, 64),
        "order_date": summary.study_date or timezone.localdate(),
        "order_time": study_time,
        "created_by": batch.created_by,
    }
    accession = _text(summary.accession_number, 16)
    try:
        with transaction.atomic():
            order = PatientOrder.objects.create(accession_number=accession, **values)
    except IntegrityError:
        # Another upload made an order with this accession number a moment ago (join it),
        # or an order in the recycle bin keeps it (the new order goes without).
        existing = _scheduled_or_matching(batch, accession)
        if existing is not None:
            return existing
        order = PatientOrder.objects.create(accession_number="", **values)
    record(
        batch.created_by,
        AuditAction.ORDER_CREATED,
        target_type="order",
        target_id=order.uuid,
        target_label=order_label(order),
        institution=batch.institution.name,
        modality=order.modality,
        accession_number=order.accession_number,
        order_date=order.order_date.isoformat(),
        source="upload",
        upload=str(batch.uuid),
    )
    return order


def _receive_images(batch: UploadBatch, order: PatientOrder) -> None:
    if order.status == t.OrderStatus.SCHEDULED.value:
        order.status = t.OrderStatus.IMAGES_RECEIVED.value
        order.save(update_fields=["status", "updated_at"])
        record(
            batch.created_by,
            AuditAction.ORDER_IMAGES_RECEIVED,
            target_type="order",
            target_id=order.uuid,
            target_label=order_label(order),
            upload=str(batch.uuid),
        )


def study_for(batch: UploadBatch, summary: DicomSummary) -> StudyRecord:
    """The study row for the file's Study Instance UID, made (with its order) when new."""
    study = StudyRecord.objects.select_related("order").filter(study_uid=summary.study_instance_uid).first()
    if study is not None:
        return study
    try:
        with transaction.atomic():
            order = _scheduled_or_matching(batch, _text(summary.accession_number, 16))
            if order is None:
                order = _create_order(batch, summary)
            else:
                _receive_images(batch, order)
            return StudyRecord.objects.create(
                order=order,
                study_uid=summary.study_instance_uid,
                patient_name=summary.patient_name[:324],
                patient_id=_text(summary.patient_id, 64),
                birth_date=summary.birth_date,
                sex=summary.sex,
                study_date=summary.study_date,
                study_time=summary.study_time,
                description=_text(summary.study_description, 64),
                accession_number=_text(summary.accession_number, 16),
            )
    except IntegrityError:  # another worker made the same study a moment ago
        return StudyRecord.objects.select_related("order").get(study_uid=summary.study_instance_uid)


def series_for(study: StudyRecord, summary: DicomSummary) -> SeriesRecord:
    series, _created = SeriesRecord.objects.select_related("study__order").get_or_create(
        series_uid=summary.series_instance_uid,
        defaults={
            "study": study,
            "modality": _modality(summary.modality) if summary.modality else "",
            "description": _text(summary.series_description, 64),
            "number": summary.series_number,
        },
    )
    return series


@dataclass(frozen=True)
class Claim:
    """The instance row for a SOP Instance UID: whether this item stores it (``mine``), and
    whether its file is already in storage."""

    instance_pk: int
    order_pk: int
    mine: bool
    stored: bool


# Series UID → (series pk, order pk), per process: the files of a series arrive together, so
# most files need no index lookup at all. Rows are never re-parented; a purge deletes them,
# which the insert notices (a foreign key error) and the entry is forgotten.
_SERIES: dict[str, tuple[int, int]] = {}
_SERIES_LIMIT = 10_000


def _series_ids(batch: UploadBatch, summary: DicomSummary) -> tuple[int, int]:
    hit = _SERIES.get(summary.series_instance_uid)
    if hit is not None:
        return hit
    with transaction.atomic():
        study = study_for(batch, summary)
        series = series_for(study, summary)
    ids = (series.pk, series.study.order_id)
    if len(_SERIES) >= _SERIES_LIMIT:
        _SERIES.clear()
    _SERIES[summary.series_instance_uid] = ids
    return ids


def _insert_all(rows: list[dict[str, Any]]) -> dict[str, tuple[int, uuid.UUID]]:
    """One ``INSERT … ON CONFLICT DO NOTHING`` for every row: SOP Instance UID → (pk, claiming
    item) of the rows this statement made. A UID another item already holds makes nothing
    (no existence check first); of two rows with the same UID, one is made."""
    if not rows:
        return {}
    names = list(rows[0])
    holes, params = value_rows(InstanceRecord, names, [[row[name] for name in names] for row in rows])
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model_field(InstanceRecord, name).column) for name in names)
    # Only quoted column names from the model are formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(InstanceRecord._meta.db_table)} ({columns}) VALUES {holes} "  # noqa: S608
        f"ON CONFLICT ({quote('sop_instance_uid')}) DO NOTHING "
        f"RETURNING {quote('id')}, {quote('sop_instance_uid')}, {quote('claimed_by')}"
    )
    # No savepoint: ON CONFLICT never raises for the unique UID, and foreign keys are
    # checked when the caller's transaction commits.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {uid: (int(pk), uuid.UUID(str(item))) for pk, uid, item in cursor.fetchall()}


def _row(series_pk: int, item: UploadItem, summary: DicomSummary, file_name: str, now: Any) -> dict[str, Any]:
    return {
        "uuid": uuid.uuid4(),
        "series_id": series_pk,
        "sop_instance_uid": summary.sop_instance_uid,
        "sop_class_uid": summary.sop_class_uid[:64],
        "transfer_syntax_uid": summary.transfer_syntax_uid[:64],
        "number_of_frames": summary.number_of_frames,
        "file_name": file_name,
        "size": 0,
        "sha256": "",
        "stored": False,
        "claimed_by": item.uuid,
        "uploaded_by_id": item.batch.created_by_id,
        "created_at": now,
    }


def claim_instances(files: Sequence[tuple[UploadItem, DicomSummary, str]]) -> list[Claim]:
    """Claim each file's SOP Instance UID for its item (``(item, summary, file name)``),
    making index rows and orders as needed; a row claimed by another item means the file is
    a duplicate (also when two files of ``files`` carry the same UID). Two statements for
    the whole group once its series are known: one insert, and one look-up of the UIDs it
    did not make. Call it inside the transaction that records the outcomes: the new rows'
    locks hold other senders of the same instances until that commits."""
    series = [_series_ids(item.batch, summary) for item, summary, _name in files]
    now = timezone.now()
    rows = [
        _row(series_pk, item, summary, name, now)
        for (item, summary, name), (series_pk, _order) in zip(files, series, strict=True)
    ]
    # The same order of UIDs in every worker: two groups sharing instances cannot deadlock.
    made = _insert_all(sorted(rows, key=lambda row: row["sop_instance_uid"]))
    others = {summary.sop_instance_uid for _item, summary, _name in files} - made.keys()
    held = {
        uid: (pk, order_pk, claimed_by, stored)
        for uid, pk, order_pk, claimed_by, stored in InstanceRecord.objects.filter(sop_instance_uid__in=others)
        .values_list("sop_instance_uid", "pk", "series__study__order_id", "claimed_by", "stored")
        .order_by()
    }
    claims = []
    for (item, summary, _name), (_series, order_pk) in zip(files, series, strict=True):
        uid = summary.sop_instance_uid
        if uid in made:
            pk, maker = made[uid]
            claims.append(Claim(pk, order_pk, mine=maker == item.uuid, stored=False))
        elif uid not in held:
            # The row that stopped the insert was purged since: the caller claims again.
            raise IntegrityError(f"the instance row of {uid} went away while it was claimed")
        else:
            pk, held_order, holder, stored = held[uid]
            claims.append(Claim(pk, held_order, mine=holder == item.uuid, stored=stored))
    return claims


def forget_cached_series() -> None:
    """Tests and purges: drop the per-process series cache."""
    _SERIES.clear()
