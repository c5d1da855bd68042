"""Which order a study joins, and the index rows of a stored instance.

An upload never widens what anyone sees: a file joins only an order that is live, in the
batch's institution, and that the uploader may already see (``joinable_orders``). Among
those, in this order of preference:

1. the order that already holds the file's Study Instance UID;
2. the order with the same accession number (a scheduled order first; a scheduled order's
   status becomes "images received");
3. else a new order in the batch's institution, created by the uploader from the file's
   patient and study (status "images received"). When the accession number is taken by an
   order the uploader may not see (or one in the recycle bin), the new order goes without it.

So the same Study Instance UID may be indexed under several orders (another institution's,
or one the uploader may not see), never merged: study, series and instance rows are unique
per order (per study, per series), and stored files are named after their order too.

Claiming instances (``claim_instances``) inserts their rows before their files are written:
the unique (series, SOP Instance UID) decides, in the database, which of several concurrent
senders stores each; the others learn the instance is already there, and the caller tells a
duplicate from a conflict by the content. The row remembers the claiming upload item, so
that the same item run again after a crash continues its own claim.
"""

from __future__ import annotations

import functools
import re
import threading
import uuid
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import Upper
from django.utils import timezone

from postdicom import types as t
from postdicom.dicom.read import DicomSummary
from postdicom.errors import Forbidden
from postdicom.local import audit
from postdicom.local.audit import record
from postdicom.local.bulk import model_field, rows_to_insert
from postdicom.local.models import (
    AuditRecord,
    InstanceRecord,
    PatientOrder,
    SeriesRecord,
    StudyRecord,
    UploadBatch,
    UploadItem,
)
from postdicom.local.models.uploads import SHARE_SOURCE
from postdicom.local.orders.visibility import label_of, order_label, sees_whole_institution, visible_orders
from postdicom.local.uploads.storage import instance_name
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


def joinable_orders(uploader: Any, institution_pk: int, *, member: bool | None = None) -> QuerySet[PatientOrder]:
    """The orders a file of ``uploader``'s upload into the institution may join: live, in
    that institution, and already visible to the uploader. None for an uploader who is gone
    or inactive (their files make orders of their own). ``member``: whether the uploader
    works in the institution, when the caller has just checked it (``None``: looked up)."""
    if uploader is None:
        return PatientOrder.objects.none()
    try:
        if sees_whole_institution(uploader, institution_pk, member=member):
            return PatientOrder.objects.filter(deleted_at__isnull=True, institution_id=institution_pk)
        return visible_orders(uploader).filter(institution_id=institution_pk)
    except Forbidden:
        return PatientOrder.objects.none()


_checked = threading.local()


@contextmanager
def uploader_checked(batch: UploadBatch) -> Iterator[None]:
    """Inside the block, the orders the batch's files may join are settled once, for every
    file and group (``_joinable``): for a batch made in the caller's transaction by
    ``receive.new_batch``, which has just checked that its uploader works in its
    institution (so staff need no second look at their institutions, and a new study
    none at all). A worker's batch is not settled: its uploader's rights are read when its
    files are (they may have changed since the upload began)."""
    settled = dict(getattr(_checked, "batches", None) or {})
    if batch.source != SHARE_SOURCE:
        settled[batch.pk] = joinable_orders(batch.created_by, batch.institution_id, member=True)
    previous = getattr(_checked, "batches", None)
    _checked.batches = settled
    try:
        yield
    finally:
        _checked.batches = previous


def _joinable(batch: UploadBatch) -> QuerySet[PatientOrder]:
    if batch.source == SHARE_SOURCE:
        return made_by_batch(batch)
    settled: dict[int, QuerySet[PatientOrder]] | None = getattr(_checked, "batches", None)
    if settled is not None and batch.pk in settled:
        return settled[batch.pk]
    return joinable_orders(batch.created_by, batch.institution_id)


def made_by_batch(batch: UploadBatch) -> QuerySet[PatientOrder]:
    """The live orders ``batch`` made (its files of one study, in several series or groups,
    go to one order). What an outside share's upload may join: its uploader is a visitor who
    sees no order at all, although the batch is the share owner's. Read from the
    ``order.created`` events the ingest writes in the transaction that makes each order
    (``_create_order``), so it is exact whether the order was made by this transaction, by
    another worker's committed group, or not at all; the ``(action, -at)`` index reads only
    the events since the batch began."""
    audit.flush()  # events held back by audit.written_together are read here
    made = AuditRecord.objects.filter(
        action=AuditAction.ORDER_CREATED.value, at__gte=batch.created_at, detail__upload=str(batch.uuid)
    ).values_list("target_id", flat=True)
    return PatientOrder.objects.filter(
        deleted_at__isnull=True, institution_id=batch.institution_id, uuid__in=[uuid.UUID(u) for u in made]
    )


def _scheduled_or_matching(batch: UploadBatch, accession: str) -> PatientOrder | None:
    """The order with this accession number that the batch may join (a scheduled one, or
    one that already holds images), locked. One statement: an accession number names at
    most one order of an institution (``order_accession_unique_per_institution``), so there
    is no scheduled one to prefer over another; asking for a scheduled one first cost a
    second statement for every new study whose order is not scheduled."""
    if not accession:
        return None
    rows = (
        _joinable(batch)
        .annotate(acc=Upper("accession_number"))
        .filter(acc=accession.upper())
        .select_for_update(of=("self",))
    )
    return rows.first()


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
        # Only an accession number can clash (unique per institution when given): without one
        # there is nothing to catch, so no savepoint (two statements fewer per new study).
        with transaction.atomic(savepoint=bool(accession)):
            order = PatientOrder.objects.create(accession_number=accession, **values)
    except IntegrityError:
        # Another upload of this uploader made an order with this accession number a moment
        # ago (join it), or an order they may not see, or one in the recycle bin, keeps it
        # (the new order goes without: never join what the uploader may not see).
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


_STUDY_NAMESPACE = 0x52415953  # "RAYS": apart from the upload items' advisory locks


def _study_key(study_uid: str) -> int:
    return zlib.crc32(study_uid.encode()) - 2**31


def _lock_studies(study_uids: set[str]) -> None:
    """Hold, until the transaction ends, the right to make an order for these Study Instance
    UIDs: two workers with files of one new study make one order, not two (the index no
    longer stops them, since a Study UID may belong to several orders). All of a group's
    locks are taken at once, in one order, before anything else is locked (an order row
    matched by accession number, instance rows), so two groups cannot deadlock. SQLite (one
    machine) serializes writers by itself."""
    if study_uids and connection.vendor == "postgresql":
        keys = sorted({_study_key(uid) for uid in study_uids})
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, k) FROM unnest(%s::int[]) AS k", [_STUDY_NAMESPACE, keys])


def joined_study(batch: UploadBatch, study_uid: str) -> StudyRecord | None:
    """The study row of ``study_uid`` in an order the batch's files may join, if any."""
    return (
        StudyRecord.objects.select_related("order")
        .filter(study_uid=study_uid, order__in=_joinable(batch).values("pk"))
        .order_by("id")
        .first()
    )


@dataclass(frozen=True)
class _Found:
    """A study row in an order the batch's files may join, and the series of a file there
    (``None`` when the study has none of that UID yet)."""

    study_pk: int
    order_pk: int
    order_uuid: uuid.UUID
    series_pk: int | None = None


def _name(model: type[Any], field: str = "") -> str:
    """The quoted table of ``model``, or the quoted column of its ``field``."""
    quote = connection.ops.quote_name
    return quote(model_field(model, field).column) if field else quote(model._meta.db_table)


@functools.cache
def _joined_place_sql(vendor: str) -> str:
    study, series, order = StudyRecord, SeriesRecord, PatientOrder
    # Only the models' own quoted table and column names are formatted in; values are parameters.
    return (
        f"SELECT s.{_name(study, 'id')}, s.{_name(study, 'order')}, o.{_name(order, 'uuid')}, "  # noqa: S608
        f"(SELECT r.{_name(series, 'id')} FROM {_name(series)} r WHERE r.{_name(series, 'study')} = "
        f"s.{_name(study, 'id')} AND r.{_name(series, 'series_uid')} = %s LIMIT 1) "
        f"FROM {_name(study)} s INNER JOIN {_name(order)} o ON o.{_name(order, 'id')} = s.{_name(study, 'order')} "
        f"WHERE s.{_name(study, 'study_uid')} = %s AND s.{_name(study, 'order')} IN ({{joinable}}) "
        f"ORDER BY s.{_name(study, 'id')} LIMIT 1"
    )


def joined_place(batch: UploadBatch, summary: DicomSummary) -> _Found | None:
    """``joined_study`` of the file's study, with its series of the file's Series Instance
    UID, in one statement of four columns. Written out: it runs for every STOW request, and
    the ORM spent several times the query's own time building it (the joinable orders'
    subquery is still the ORM's, so the visibility rules stay in one place)."""
    try:
        joinable, params = _joinable(batch).values("pk").order_by().query.sql_with_params()
    except EmptyResultSet:  # no order the files may join (``none()``, an empty ``IN``)
        return None
    sql = _joined_place_sql(connection.vendor).replace("{joinable}", joinable)
    with connection.cursor() as cursor:
        cursor.execute(sql, [summary.series_instance_uid, summary.study_instance_uid, *params])
        row = cursor.fetchone()
    if row is None:
        return None
    study_pk, order_pk, order_uuid, series_pk = row
    return _Found(study_pk, order_pk, _uuid(order_uuid), series_pk)


def _uuid(value: Any) -> uuid.UUID:
    """A UUID column's value: a ``UUID`` from PostgreSQL, 32 hex digits from SQLite."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def study_for(batch: UploadBatch, summary: DicomSummary, *, locked: bool = False) -> tuple[StudyRecord, bool]:
    """The study row for the file's Study Instance UID in an order the file may join (see
    the module docstring), made (with its order when needed) otherwise; and whether it was
    made now. ``locked``: the caller holds the study's lock already (``claim_instances``
    takes a group's at once)."""
    if not locked:
        _lock_studies({summary.study_instance_uid})
    study = joined_study(batch, summary.study_instance_uid)
    if study is not None:
        return study, False
    # No savepoint of its own (nor in _series_place): nothing between here and the group's
    # transaction (ingest._store_all) catches an error to go on, so a failure rolls back the
    # whole group anyway; two statements fewer per new series.
    with transaction.atomic(savepoint=False):
        order = _scheduled_or_matching(batch, _text(summary.accession_number, 16))
        if order is None:
            order = _create_order(batch, summary)
        else:
            _receive_images(batch, order)
        # An order in the recycle bin can still hold this study (unseen): this one is new.
        made = StudyRecord.objects.create(
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
        return made, True


def _series_values(summary: DicomSummary) -> dict[str, Any]:
    return {
        "modality": _modality(summary.modality) if summary.modality else "",
        "description": _text(summary.series_description, 64),
        "number": summary.series_number,
    }


def series_for(study_pk: int, summary: DicomSummary, *, new_study: bool = False) -> SeriesRecord:
    """The study's series of the file's Series Instance UID, made when missing. ``new_study``:
    the study was made in this transaction, so the series is new too and nobody else can
    make it: one INSERT, without the look-up and the savepoint of ``get_or_create``."""
    uid = summary.series_instance_uid
    if new_study:
        return SeriesRecord.objects.create(study_id=study_pk, series_uid=uid, **_series_values(summary))
    series, _created = SeriesRecord.objects.get_or_create(
        study_id=study_pk, series_uid=uid, defaults=_series_values(summary)
    )
    return series


@dataclass(frozen=True)
class Claim:
    """The instance row for a file's SOP Instance UID in the order it joins: whether this
    item stores it (``mine``), whether its file is already in storage, where that file is
    (or goes), its SHA-256 when another item stored it, and which patient details of the
    file differ from the order's (``PATIENT_FIELDS`` keys). The instance's series, study and
    order come along (what the upload's audit events name, with no second read)."""

    instance_pk: int
    order_pk: int
    mine: bool
    stored: bool
    file_name: str = ""
    sha256: str = ""
    differs: tuple[str, ...] = ()
    series_pk: int = 0
    modality: str = ""
    study_uuid: uuid.UUID | None = None
    order_uuid: uuid.UUID | None = None
    order_label: str = ""


@dataclass(frozen=True)
class _Place:
    series_pk: int
    order_pk: int
    order_uuid: uuid.UUID


# (batch UUID, series UID) → where the batch's files of that series go, per process: the files
# of a series arrive together, so most files need no index lookup at all. Per batch, since
# which order a series joins depends on who uploads it and where. Rows are never re-parented;
# a purge deletes them, which the insert notices (a foreign key error) and the entry is forgotten.
# Keyed by the batch's UUID, not its pk: SQLite hands a rolled-back batch's pk out again (its
# sequence rolls back too), and the new batch met the old one's series, gone with it.
_SERIES: dict[tuple[uuid.UUID, str], _Place] = {}
_SERIES_LIMIT = 10_000


def _series_place(batch: UploadBatch, summary: DicomSummary, found: _Found | None) -> _Place:
    """Where the series' files go: in the study the caller found (in its series when
    ``joined_place`` found that too: no statement), else in the study ``study_for`` finds or
    makes (the caller holds its lock)."""
    key = (batch.uuid, summary.series_instance_uid)
    hit = _SERIES.get(key)
    if hit is not None:
        return hit
    if found is not None and found.series_pk is not None:
        place = _Place(found.series_pk, found.order_pk, found.order_uuid)
    else:
        with transaction.atomic(savepoint=False):
            made = False
            if found is None:
                study, made = study_for(batch, summary, locked=True)
                found = _Found(study.pk, study.order_id, study.order.uuid)
            series = series_for(found.study_pk, summary, new_study=made)
        place = _Place(series.pk, found.order_pk, found.order_uuid)
    if len(_SERIES) >= _SERIES_LIMIT:
        _SERIES.clear()
    _SERIES[key] = place
    return place


def _insert_all(rows: list[dict[str, Any]]) -> set[tuple[int, str]]:
    """One ``INSERT … ON CONFLICT DO NOTHING`` for every row: the (series pk, SOP Instance
    UID) of the rows this statement made. A UID another item already holds in the series
    makes nothing (no existence check first); of two rows with the same UID, one is made."""
    if not rows:
        return set()
    names = list(rows[0])
    values, params = rows_to_insert(InstanceRecord, names, [[row[name] for name in names] for row in rows])
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model_field(InstanceRecord, name).column) for name in names)
    # Only quoted column names from the model are formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(InstanceRecord._meta.db_table)} ({columns}) {values} "
        f"ON CONFLICT ({quote('series_id')}, {quote('sop_instance_uid')}) DO NOTHING "
        f"RETURNING {quote('series_id')}, {quote('sop_instance_uid')}"
    )
    # No savepoint: ON CONFLICT never raises for the unique pair, and foreign keys are
    # checked when the caller's transaction commits.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(int(series), uid) for series, uid in cursor.fetchall()}


def _row(place: _Place, item: UploadItem, summary: DicomSummary, now: Any) -> dict[str, Any]:
    return {
        "uuid": uuid.uuid4(),
        "series_id": place.series_pk,
        "sop_instance_uid": summary.sop_instance_uid,
        "sop_class_uid": summary.sop_class_uid[:64],
        "transfer_syntax_uid": summary.transfer_syntax_uid[:64],
        "number_of_frames": summary.number_of_frames,
        "file_name": instance_name(
            place.order_uuid, summary.study_instance_uid, summary.series_instance_uid, summary.sop_instance_uid
        ),
        "size": 0,
        "sha256": "",
        "stored": False,
        "claimed_by": item.uuid,
        "uploaded_by_id": item.batch.created_by_id,
        "created_at": now,
    }


#: The patient details a file is checked against the order it joins.
PATIENT_FIELDS = ("patient_id", "patient_name", "birth_date", "sex")
#: The order's fields a claim reads with its instances.
_ORDER_FIELDS = ("uuid", "accession_number", *PATIENT_FIELDS)


def _folded(value: str) -> str:
    return " ".join(value.replace("^", " ").split()).casefold()


def _differs(order: dict[str, Any], summary: DicomSummary) -> tuple[str, ...]:
    """The patient details (``PATIENT_FIELDS``) the file and the order both state, differently."""
    mine = {
        "patient_id": _folded(summary.patient_id),
        "patient_name": _folded(_order_name(summary.patient_name)),
        "birth_date": summary.birth_date,
        "sex": summary.sex.upper(),
    }
    theirs = {
        "patient_id": _folded(order["patient_id"]),
        "patient_name": _folded(order["patient_name"]) if order["patient_name"] != "UNKNOWN" else "",
        "birth_date": order["birth_date"],
        "sex": (order["sex"] or "").upper(),
    }
    return tuple(f for f in PATIENT_FIELDS if mine[f] and theirs[f] and mine[f] != theirs[f])


@functools.cache
def _claimed_sql(vendor: str) -> str:
    instance, series, study, order = InstanceRecord, SeriesRecord, StudyRecord, PatientOrder
    columns = [
        f"t.{_name(study, 'order')}",
        *(f"i.{_name(instance, f)}" for f in ("sop_instance_uid", "id", "series", "claimed_by", "stored")),
        *(f"i.{_name(instance, f)}" for f in ("file_name", "sha256")),
        f"r.{_name(series, 'modality')}",
        f"t.{_name(study, 'uuid')}",
        *(f"o.{_name(order, f)}" for f in _ORDER_FIELDS),
    ]
    # Only the models' own quoted table and column names are formatted in; values are parameters.
    return (
        f"SELECT {', '.join(columns)} FROM {_name(instance)} i "  # noqa: S608
        f"INNER JOIN {_name(series)} r ON r.{_name(series, 'id')} = i.{_name(instance, 'series')} "
        f"INNER JOIN {_name(study)} t ON t.{_name(study, 'id')} = r.{_name(series, 'study')} "
        f"INNER JOIN {_name(order)} o ON o.{_name(order, 'id')} = t.{_name(study, 'order')} "
        f"WHERE i.{_name(instance, 'sop_instance_uid')} IN ({{uids}}) AND t.{_name(study, 'order')} IN ({{orders}}) "
        f"ORDER BY i.{_name(instance, 'id')}"
    )


def _claimed_rows(uids: set[str], order_pks: set[int]) -> list[tuple[Any, ...]]:
    """The instance rows of ``uids`` in the orders ``order_pks``, oldest first, with their
    series' modality, their study's id and their order's ``_ORDER_FIELDS`` (the patient
    details the files are compared with, the name the audit gives the order): one
    statement, written out (it runs for every STOW request; the ORM's building of its
    three joins cost more CPU than the query), its values as the model fields make them."""
    sql = (
        _claimed_sql(connection.vendor)
        .replace("{uids}", ", ".join(["%s"] * len(uids)))
        .replace("{orders}", ", ".join(["%s"] * len(order_pks)))
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*sorted(uids), *sorted(order_pks)])
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":
        return [tuple(row) for row in rows]  # psycopg gives UUIDs, booleans and dates already
    claimed_by, stored = model_field(InstanceRecord, "claimed_by"), model_field(InstanceRecord, "stored")
    birth_date = model_field(PatientOrder, "birth_date")
    converted = []
    for row in rows:
        values = list(row)
        values[4], values[5] = claimed_by.to_python(values[4]), stored.to_python(values[5])
        values[9], values[10] = _uuid(values[9]), _uuid(values[10])
        values[10 + _ORDER_FIELDS.index("birth_date")] = birth_date.to_python(
            values[10 + _ORDER_FIELDS.index("birth_date")]
        )
        converted.append(tuple(values))
    return converted


def claim_instances(files: Sequence[tuple[UploadItem, DicomSummary]]) -> list[Claim]:
    """Claim each file's SOP Instance UID in the order it joins for its item, making index
    rows and orders as needed; a row another item holds (in the same series, or an older
    one in another series of the same order) means the instance is already there (also
    when two files of ``files`` carry the same UID): the caller compares the content. Three
    statements for the whole group once its series are known: one insert, one look-up of
    the group's instances in its orders, and one of the orders' patient details. Call it
    inside the transaction that records the outcomes: the new rows' locks hold other
    senders of the same instances until that commits."""
    wanted: dict[tuple[int, str], tuple[UploadBatch, DicomSummary]] = {}
    places: dict[tuple[int, str], _Place] = {}
    # Series in one order of UIDs in every process: two groups that both make the same new
    # series rows wait for each other in that order, never in a circle.
    for item, summary in sorted(files, key=lambda pair: (pair[0].batch_id, pair[1].series_instance_uid)):
        key = (item.batch_id, summary.series_instance_uid)
        if (hit := _SERIES.get((item.batch.uuid, summary.series_instance_uid))) is not None:
            places[key] = hit
        else:
            wanted.setdefault(key, (item.batch, summary))
    # A study already indexed in an order the files may join needs no lock: nobody makes it
    # again, and concurrent senders of its images (one instance a request, five at a time)
    # do not wait for each other. Only the studies not found are locked, all at once, and
    # looked for again under the lock (study_for) before an order is made for them.
    # The first series of each study is looked for with it (``joined_place``, one statement).
    known: dict[tuple[int, str], _Found | None] = {}
    looked_up: set[tuple[int, str]] = set()  # the series whose row joined_place looked for
    for batch_pk, series_uid in wanted:
        batch, summary = wanted[(batch_pk, series_uid)]
        if (batch_pk, summary.study_instance_uid) not in known:
            known[(batch_pk, summary.study_instance_uid)] = joined_place(batch, summary)
            looked_up.add((batch_pk, series_uid))
    _lock_studies({uid for (_batch, uid), study in known.items() if study is None})
    for key, (batch, summary) in wanted.items():
        study = known[(key[0], summary.study_instance_uid)]
        if study is not None and key not in looked_up:  # another series of that study
            study = _Found(study.study_pk, study.order_pk, study.order_uuid)
        places[key] = _series_place(batch, summary, study)
    where = [places[(item.batch_id, summary.series_instance_uid)] for item, summary in files]
    now = timezone.now()
    rows = [_row(place, item, summary, now) for (item, summary), place in zip(files, where, strict=True)]
    # The same order of UIDs in every worker: two groups sharing instances cannot deadlock.
    made = _insert_all(sorted(rows, key=lambda row: (row["sop_instance_uid"], row["series_id"])))
    order_pks = {place.order_pk for place in where}
    found: dict[tuple[int, str], list[tuple[Any, ...]]] = {}
    orders: dict[int, dict[str, Any]] = {}
    for row in _claimed_rows({summary.sop_instance_uid for _item, summary in files}, order_pks):
        found.setdefault((row[0], row[1]), []).append(row[2:10])
        if row[0] not in orders:
            order = dict(zip(_ORDER_FIELDS, row[10:], strict=True))
            order["label"] = label_of(order["patient_name"], order["accession_number"], order["patient_id"])
            orders[row[0]] = order
    claims = []
    dropped: list[int] = []
    for (item, summary), place in zip(files, where, strict=True):
        held = found.get((place.order_pk, summary.sop_instance_uid))
        if not held:
            # The row that stopped the insert was purged since: the caller claims again.
            raise IntegrityError(f"the instance row of {summary.sop_instance_uid} went away while it was claimed")
        # The oldest row of the UID in the order is the instance; a row this item just made
        # in another series of the same order is a clash with it, and goes.
        pk, series_pk, holder, stored, name, digest, modality, study_uuid = held[0]
        if holder != item.uuid and (place.series_pk, summary.sop_instance_uid) in made:
            dropped += [other[0] for other in held[1:] if other[2] == item.uuid]
        order = orders[place.order_pk]
        claims.append(
            Claim(
                pk,
                place.order_pk,
                holder == item.uuid,
                stored,
                name,
                digest,
                _differs(order, summary),
                series_pk=series_pk,
                modality=modality,
                study_uuid=study_uuid,
                order_uuid=order["uuid"],
                order_label=order["label"],
            )
        )
    if dropped:
        InstanceRecord.objects.filter(pk__in=dropped).delete()
    return claims


def forget_cached_series() -> None:
    """Tests and purges: drop the per-process series cache."""
    _SERIES.clear()
