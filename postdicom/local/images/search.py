"""QIDO-RS searches over the index rows, under the order visibility rule.

A study is visible when its order is (``visible_orders``: live orders the actor may see);
only instances whose file is stored count, so a study still being ingested shows what has
arrived. Counts, modalities and the newest storing time come from the index, never from
the files.

Searches are reads of patient data and are audited (docs/decisions.md, "HTTP API audit"): a
study search is one ``order.searched`` event with its matching keys and how many studies it
answered; a series or instance search is ``order.dicomweb_metadata`` on the study's order,
once per person and study within ``SAME_READ_WITHIN`` (a viewer searches a study's series
and instances again and again while it is open).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import InvalidInput, NotFound
from postdicom.local.audit import SAME_READ_WITHIN, record_read
from postdicom.local.models import InstanceRecord, SeriesRecord, StudyRecord
from postdicom.local.orders.visibility import order_label, visible_among, visible_orders

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def visible_studies(actor: User) -> QuerySet[StudyRecord]:
    """Study rows of the orders ``actor`` may see (``Forbidden`` for an inactive actor)."""
    return StudyRecord.objects.filter(order__in=visible_orders(actor).values("id"))


def study_row(actor: User, study_uid: str) -> StudyRecord:
    """The visible study ``study_uid`` with its order; ``NotFound`` otherwise."""
    # The few rows of this UID, then their orders' visibility (``visible_among``), rather than
    # every visible order as a subquery: a viewer asks for one study many times.
    rows = list(StudyRecord.objects.select_related("order").filter(study_uid=study_uid, order__deleted_at__isnull=True))
    seen = visible_among(actor, [row.order for row in rows])
    row = next((row for row in rows if row.order_id in seen), None)
    if row is None:
        raise NotFound(_("No such study."))
    return row


def pattern(value: str) -> str:
    """A DICOM matching value with ``*`` / ``?`` wildcards as an anchored regular expression
    of one ``=`` group of a name (or of the whole value for other keys)."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in value)
    return f"(^|=){body}($|=)"


def _text(rows: QuerySet, field: str, value: str, *, name: bool = False) -> QuerySet:
    """Single-value matching (exact, ignoring case) or wildcard matching on ``field``."""
    if not value:
        return rows
    if name or "*" in value or "?" in value:
        return rows.filter(**{f"{field}__iregex": pattern(value)})
    return rows.filter(**{f"{field}__iexact": value})


def find_study(actor: User, series_uid: str | None, sop_instance_uid: str | None) -> str:
    """The UID of a visible study holding ``series_uid`` and/or the stored instance
    ``sop_instance_uid``; ``NotFound`` otherwise. As ``study_row``: the few rows holding the
    UIDs, then their orders' visibility."""
    if not series_uid and not sop_instance_uid:
        raise NotFound(_("No such study."))
    rows = StudyRecord.objects.select_related("order").filter(order__deleted_at__isnull=True)
    if series_uid:
        rows = rows.filter(series__series_uid=series_uid)
    if sop_instance_uid:
        rows = rows.filter(series__instances__sop_instance_uid=sop_instance_uid, series__instances__stored=True)
    found = list(rows.distinct()[:50])
    seen = visible_among(actor, [row.order for row in found])
    row = next((row for row in found if row.order_id in seen), None)
    if row is None:
        raise NotFound(_("No such series.") if series_uid and not sop_instance_uid else _("No such instance."))
    return row.study_uid


def _check_paging(query: t.DicomQuery) -> None:
    if not 0 < query.limit <= t.DICOM_SEARCH_LIMIT:
        raise InvalidInput({"limit": _("Ask for 1 to %(n)d results.") % {"n": t.DICOM_SEARCH_LIMIT}})
    if query.offset < 0:
        raise InvalidInput({"offset": _("The offset cannot be negative.")})


def _page(rows: QuerySet, query: t.DicomQuery) -> list:
    return list(rows[query.offset : query.offset + query.limit])


def _series_filters(rows: QuerySet[Any], query: t.DicomQuery, via: str = "") -> QuerySet[Any]:
    """The series matching keys, on series rows or (``via="series__"``) on their instances."""
    if query.series_uids:
        rows = rows.filter(**{f"{via}series_uid__in": query.series_uids})
    if query.modalities:
        rows = rows.filter(**{f"{via}modality__in": query.modalities})
    if query.series_number is not None:
        rows = rows.filter(**{f"{via}number": query.series_number})
    return rows


def search_studies(actor: User, query: t.DicomQuery) -> tuple[t.DicomStudy, ...]:
    _check_paging(query)
    # Page first, count after: the counts and modalities are worked out for one page of
    # studies, not for every study the actor may see.
    studies = _page(study_rows(actor, query), query)
    totals = _totals([row[0] for row in studies])
    found = tuple(_study(row, totals.get(row[0], _Totals())) for row in studies)
    record_read(
        actor,
        t.AuditAction.ORDER_SEARCHED,
        target_type="",
        target_id="",
        filters=_study_filters(query),
        found=len(found),
        shown=len(found),
    )
    return found


#: Matching keys of a study search → the audit detail's names (those of the order list's).
_AUDITED_KEYS = {
    "patient_name": "patient_name",
    "patient_id": "patient_id",
    "accession_number": "accession_number",
    "study_description": "study_description",
    "study_date_from": "date_from",
    "study_date_to": "date_to",
    "modalities": "modalities",
    "study_uids": "study_uid",
}


def _study_filters(query: t.DicomQuery) -> dict[str, object]:
    filters: dict[str, object] = {}
    for key, name in _AUDITED_KEYS.items():
        value = getattr(query, key)
        if value in ("", (), None):
            continue
        if isinstance(value, tuple):
            filters[name] = list(value)
        else:
            filters[name] = value.isoformat() if isinstance(value, dt.date) else value
    return filters


def _record_study_read(actor: User, study: StudyRecord, series_uid: str | None, count: int) -> None:
    record_read(
        actor,
        t.AuditAction.ORDER_DICOMWEB_METADATA,
        target_type="order",
        target_id=study.order.uuid,
        target_label=order_label(study.order),
        once_within=SAME_READ_WITHIN,
        same={"study_uid": study.study_uid},
        series_uid=series_uid or "",
        instances=count,
    )


def study_rows(actor: User, query: t.DicomQuery) -> QuerySet[StudyRecord, tuple[Any, ...]]:
    """The visible studies that match ``query`` (its paging aside), newest first, as tuples
    of ``_STUDY_COLUMNS``. Newest first walks ``study_newest_first_idx`` (PostgreSQL,
    migration 0011) and stops after a page, instead of sorting every visible study."""
    rows = visible_studies(actor)
    rows = _text(rows, "patient_name", query.patient_name, name=True)
    rows = _text(rows, "patient_id", query.patient_id)
    rows = _text(rows, "accession_number", query.accession_number)
    rows = _text(rows, "description", query.study_description)
    if query.study_date_from is not None:
        rows = rows.filter(study_date__gte=query.study_date_from)
    if query.study_date_to is not None:
        rows = rows.filter(study_date__lte=query.study_date_to)
    if query.study_uids:
        rows = rows.filter(study_uid__in=query.study_uids)
    if query.modalities:
        with_modality = SeriesRecord.objects.filter(study=OuterRef("pk"), modality__in=query.modalities)
        rows = rows.filter(Exists(with_modality))
    stored = InstanceRecord.objects.filter(series__study=OuterRef("pk"), stored=True)
    rows = rows.filter(Exists(stored)).order_by(
        F("study_date").desc(nulls_last=True), F("study_time").desc(nulls_last=True), "-id"
    )
    # Plain values of the columns an answer shows (not model instances with every column of
    # the study and its order): a page of 1,000 studies is built without per-row ORM work.
    return rows.values_list(*_STUDY_COLUMNS)


_STUDY_COLUMNS = (
    "pk",
    "order__uuid",
    "study_uid",
    "patient_name",
    "patient_id",
    "birth_date",
    "sex",
    "study_date",
    "study_time",
    "accession_number",
    "description",
    "order__referring_physician",
)


@dataclass
class _Totals:
    series: int = 0
    instances: int = 0
    modalities: set[str] = field(default_factory=set)
    newest: dt.datetime | None = None


def _totals(studies: list[int]) -> dict[int, _Totals]:
    """Per study (by pk) of the page: its series with stored instances, their instances,
    modalities and newest storing time, from one grouped query (one row per series)."""
    totals: dict[int, _Totals] = {}
    if not studies:
        return totals
    for study_pk, modality, count, newest in (
        SeriesRecord.objects.filter(study__in=studies, instances__stored=True)
        .values("study_id", "id", "modality")
        .annotate(count=Count("instances"), newest=Max("instances__created_at"))
        .values_list("study_id", "modality", "count", "newest")
        .order_by()
    ):
        entry = totals.setdefault(study_pk, _Totals())
        entry.series += 1
        entry.instances += count
        if modality:
            entry.modalities.add(modality)
        entry.newest = newest if entry.newest is None else max(entry.newest, newest)
    return totals


def _study(row: tuple[Any, ...], totals: _Totals) -> t.DicomStudy:
    _pk, order_uuid, uid, name, patient_id, birth, sex, day, time, accession, description, referring = row
    return t.DicomStudy(
        order_id=order_uuid,
        study_uid=uid,
        patient_name=name,
        patient_id=patient_id,
        birth_date=birth,
        sex=sex,
        study_date=day,
        study_time=time,
        accession_number=accession,
        description=description,
        referring_physician=referring,
        modalities=tuple(sorted(totals.modalities)),
        series_count=totals.series,
        instance_count=totals.instances,
        updated_at=totals.newest,
    )


def search_series(actor: User, study_uid: str, query: t.DicomQuery) -> tuple[t.DicomSeries, ...]:
    _check_paging(query)
    study = study_row(actor, study_uid)
    stored = Q(instances__stored=True)
    rows = (
        _series_filters(SeriesRecord.objects.filter(study=study), query)
        .annotate(n_instances=Count("instances", filter=stored), newest=Max("instances__created_at", filter=stored))
        .filter(n_instances__gt=0)
        .order_by("number", "id")
    )
    found = tuple(
        t.DicomSeries(
            study_uid=study.study_uid,
            series_uid=row.series_uid,
            modality=row.modality,
            description=row.description,
            number=row.number,
            instance_count=row.n_instances,
            updated_at=row.newest,
        )
        for row in _page(rows, query)
    )
    _record_study_read(actor, study, None, sum(s.instance_count for s in found))
    return found


def instance_rows(study: StudyRecord, series_uid: str | None) -> QuerySet[InstanceRecord]:
    """The stored instances of ``study`` (or of its series ``series_uid``), in series order
    and then in the order they were stored; ``NotFound`` for a series not in the study."""
    rows = InstanceRecord.objects.filter(series__study=study, stored=True)
    if series_uid is not None:
        if not SeriesRecord.objects.filter(study=study, series_uid=series_uid).exists():
            raise NotFound(_("No such series."))
        rows = rows.filter(series__series_uid=series_uid)
    return rows.select_related("series").order_by("series__number", "series_id", "id")


def instance(study: StudyRecord, row: InstanceRecord) -> t.DicomInstance:
    return t.DicomInstance(
        study_uid=study.study_uid,
        series_uid=row.series.series_uid,
        sop_instance_uid=row.sop_instance_uid,
        sop_class_uid=row.sop_class_uid,
        transfer_syntax_uid=row.transfer_syntax_uid,
        number_of_frames=row.number_of_frames,
        size=row.size,
        sha256=row.sha256,
        stored_at=row.created_at,
    )


def search_instances(
    actor: User, study_uid: str, series_uid: str | None, query: t.DicomQuery
) -> tuple[t.DicomInstance, ...]:
    _check_paging(query)
    study = study_row(actor, study_uid)
    rows = _series_filters(instance_rows(study, series_uid), query, via="series__")
    if query.sop_instance_uids:
        rows = rows.filter(sop_instance_uid__in=query.sop_instance_uids)
    if query.sop_class_uids:
        rows = rows.filter(sop_class_uid__in=query.sop_class_uids)
    found = tuple(instance(study, row) for row in _page(rows, query))
    _record_study_read(actor, study, series_uid, len(found))
    return found
