"""Downloading orders: what goes into the archive of a study or a selection of orders.

``open_orders_archive`` checks that the actor sees every order (``visible_orders``, the one
rule), reads the index rows of their stored images and their documents, makes the DICOMDIR
from those rows, and returns the entries in the order to write them. No file is read here:
each entry opens its file from storage (``open_stored``: local disk or S3, in pieces) when
the caller writes it, so the caller can stream any size in constant memory, and needs no
database while it streams.

The same SOP Instance UID in two of the chosen orders (one study indexed under two orders)
goes into the archive once: a DICOMDIR names each instance once.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING
from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.dicom import dicomdir
from postdicom.errors import InvalidInput, NotFound
from postdicom.filenames import safe_name, unique_name
from postdicom.local.audit import record
from postdicom.local.models import DocumentRecord, InstanceRecord, PatientOrder, SeriesRecord, StudyRecord
from postdicom.local.orders.visibility import order_label, visible_orders
from postdicom.local.uploads.storage import open_stored

if TYPE_CHECKING:
    from django.contrib.auth.models import User

log = logging.getLogger(__name__)

DOCUMENTS = "DOCUMENTS"


class ArchiveMixin:
    def open_orders_archive(self, *, actor: User, order_ids: Sequence[UUID]) -> t.OrdersArchive:
        return open_orders_archive(actor, order_ids)


def _opener(file_name: str) -> Callable[[], IO[bytes]]:
    def open_file() -> IO[bytes]:
        try:
            return open_stored(file_name)
        except FileNotFoundError:
            log.warning("archive: stored file %s is missing", file_name)
            raise NotFound(_("The file is missing from storage.")) from None

    return open_file


def _orders(actor: User, order_ids: Sequence[UUID]) -> list[PatientOrder]:
    wanted = list(dict.fromkeys(order_ids))
    if not wanted:
        raise InvalidInput({"order_ids": _("Choose at least one order.")})
    if len(wanted) > t.ARCHIVE_ORDERS_MAX:
        raise InvalidInput({"order_ids": _("Download at most %(n)d orders at a time.") % {"n": t.ARCHIVE_ORDERS_MAX}})
    found = {order.uuid: order for order in visible_orders(actor).filter(uuid__in=wanted)}
    if len(found) != len(wanted):
        raise NotFound(_("No such order."))
    return [found[uuid] for uuid in wanted]


def _images(orders: list[PatientOrder]) -> tuple[list[dicomdir.Patient], list[t.ArchiveEntry], dict[int, int]]:
    """The DICOMDIR's patients, the image entries in file ID order, and images per order."""
    # The few study and series rows as models, the many instances as plain tuples.
    position = {order.pk: index for index, order in enumerate(orders)}
    study_rows = {row.pk: row for row in StudyRecord.objects.filter(order__in=orders)}
    series_rows = {row.pk: row for row in SeriesRecord.objects.filter(study_id__in=study_rows)}
    rows = (
        InstanceRecord.objects.filter(stored=True, series_id__in=series_rows)
        .order_by("series__study_id", "series__number", "series_id", "id")
        .values_list(
            "sop_instance_uid", "sop_class_uid", "transfer_syntax_uid", "file_name", "size", "created_at", "series_id"
        )
    )
    patients: dict[tuple[str, str], dicomdir.Patient] = {}
    studies: dict[int, dicomdir.Study] = {}
    series: dict[int, dicomdir.Series] = {}
    files: dict[str, tuple[str, int, dt.datetime, int]] = {}  # SOP Instance UID → file, size, when, order

    def in_selection_order(row: tuple) -> tuple[int, int]:
        study_pk = series_rows[row[6]].study_id
        return position[study_rows[study_pk].order_id], study_pk

    for sop, sop_class, syntax, file_name, size, created_at, series_pk in sorted(rows, key=in_selection_order):
        if sop in files:
            continue  # the same instance under another chosen order: once is enough
        series_row = series_rows[series_pk]
        study_row = study_rows[series_row.study_id]
        if study_row.pk not in studies:
            key = (study_row.patient_id, study_row.patient_name)
            if key not in patients:
                patients[key] = dicomdir.Patient(
                    study_row.patient_id, study_row.patient_name, study_row.birth_date, study_row.sex
                )
            studies[study_row.pk] = dicomdir.Study(
                study_row.study_uid,
                study_row.study_date,
                study_row.study_time,
                study_row.description,
                study_row.accession_number,
            )
            patients[key].studies.append(studies[study_row.pk])
        if series_pk not in series:
            series[series_pk] = dicomdir.Series(series_row.series_uid, series_row.modality, series_row.number)
            studies[study_row.pk].series.append(series[series_pk])
        series[series_pk].images.append(dicomdir.Image(sop, sop_class, syntax))
        files[sop] = (file_name, size, created_at, study_row.order_id)
    entries: list[t.ArchiveEntry] = []
    per_order: dict[int, int] = {}
    for p, patient in enumerate(patients.values(), 1):
        for s, study in enumerate(patient.studies, 1):
            for e, one_series in enumerate(study.series, 1):
                for i, image in enumerate(one_series.images, 1):
                    name, size, when, order_pk = files[image.sop_instance_uid]
                    path = "/".join(dicomdir.file_id(p, s, e, i))
                    entries.append(t.ArchiveEntry(path=path, size=size, modified=when, opener=_opener(name)))
                    per_order[order_pk] = per_order.get(order_pk, 0) + 1
    return list(patients.values()), entries, per_order


def _documents(orders: list[PatientOrder]) -> tuple[list[t.ArchiveEntry], dict[int, int]]:
    """Each order's documents under ``DOCUMENTS/<order>/``, with names safe and unique."""
    rows: dict[int, list[DocumentRecord]] = {}
    for document in DocumentRecord.objects.filter(order__in=orders).order_by("uploaded_at", "id"):
        rows.setdefault(document.order_id, []).append(document)
    folders: set[str] = set()
    entries: list[t.ArchiveEntry] = []
    for order in orders:
        documents = rows.get(order.pk, [])
        if not documents:
            continue
        folder = unique_name(safe_name(order_label(order), fallback="order"), folders)
        names: set[str] = set()
        for document in documents:
            name = unique_name(safe_name(document.name, fallback=f"document.{document.kind}"), names)
            entries.append(
                t.ArchiveEntry(
                    path=f"{DOCUMENTS}/{folder}/{name}",
                    size=document.size,
                    modified=document.uploaded_at,
                    opener=_opener(document.file_name),
                )
            )
    return entries, {pk: len(documents) for pk, documents in rows.items()}


def _filename(orders: list[PatientOrder]) -> str:
    if len(orders) == 1:
        return safe_name(f"{order_label(orders[0])}.zip", fallback="order.zip")
    return f"rayport-{len(orders)}-orders-{timezone.localdate():%Y-%m-%d}.zip"


def open_orders_archive(actor: User, order_ids: Sequence[UUID]) -> t.OrdersArchive:
    orders = _orders(actor, order_ids)
    patients, images, images_per_order = _images(orders)
    documents, documents_per_order = _documents(orders)
    entries: list[t.ArchiveEntry] = []
    if images:
        directory = dicomdir.build(patients)
        entries.append(
            t.ArchiveEntry(
                path="DICOMDIR",
                size=len(directory),
                modified=timezone.now(),
                opener=lambda: io.BytesIO(directory),
            )
        )
    entries += images + documents
    if not entries:
        # An empty ZIP would look like a broken download; nothing is recorded either.
        raise InvalidInput(
            _("There is nothing to download: this order has no images or documents yet.")
            if len(orders) == 1
            else _("There is nothing to download: none of these orders has images or documents yet.")
        )
    for order in orders:
        record(
            actor,
            t.AuditAction.ORDER_DOWNLOADED,
            target_type="order",
            target_id=order.uuid,
            target_label=order_label(order),
            images=images_per_order.get(order.pk, 0),
            documents=documents_per_order.get(order.pk, 0),
            orders=len(orders),
        )
    return t.OrdersArchive(
        filename=_filename(orders),
        order_ids=tuple(order.uuid for order in orders),
        entries=tuple(entries),
        image_count=len(images),
        document_count=len(documents),
    )
