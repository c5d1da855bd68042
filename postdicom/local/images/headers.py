"""Each stored instance's header, read from its file once and kept (``InstanceHeaderRecord``).

A series' ``/metadata`` was 500 header readings for a 500-slice CT (~17 ms each), and every
frame parsed its file's header to find the pixel data. Now the ingest worker describes the
instances of a batch right after storing them (``make_for``), and any instance still without
a header (stored before, or the worker's step failed) is described by the first request that
needs it and kept (``headers_of``). A row is valid while its ``source`` is its instance's
file's SHA-256; a row that no longer matches is read again, and rows go with their instances.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import ObjectDoesNotExist
from pydicom.errors import InvalidDicomError

from postdicom import types as t
from postdicom.dicom.described import describe
from postdicom.local.models import InstanceHeaderRecord, InstanceRecord
from postdicom.local.uploads.storage import open_stored

log = logging.getLogger(__name__)

#: The fields a frame or bulk data read needs (the JSON is loaded for metadata only).
LOCATION_FIELDS = ("source", "transfer_syntax", "pixels_at", "frames", "frame_size")


def _source(row: InstanceRecord) -> str:
    return row.sha256 or f"size:{row.size}"


def _kept(row: InstanceRecord) -> InstanceHeaderRecord | None:
    try:
        header: InstanceHeaderRecord = row.header  # reverse one-to-one
    except ObjectDoesNotExist:
        return None
    return header if header.source == _source(row) else None


def _as_type(record: InstanceHeaderRecord, with_json: bool) -> t.InstanceHeader:
    return t.InstanceHeader(
        json=record.json if with_json else "",
        transfer_syntax=record.transfer_syntax,
        pixels_at=record.pixels_at,
        frames=record.frames,
        frame_size=record.frame_size,
    )


def _read(row: InstanceRecord) -> t.InstanceHeader | None:
    try:
        with open_stored(row.file_name) as handle:
            return describe(handle, row.transfer_syntax_uid)
    except FileNotFoundError:
        log.warning("DICOMweb: the file of %s is missing from storage", row.sop_instance_uid)
    except (InvalidDicomError, ValueError, TypeError, KeyError, EOFError, OSError):
        log.warning("DICOMweb: the file of %s cannot be read", row.sop_instance_uid, exc_info=True)
    return None


def _keep(pairs: list[tuple[InstanceRecord, t.InstanceHeader]]) -> None:
    keep([(row.pk, _source(row), header) for row, header in pairs])


def keep(described: list[tuple[int, str, t.InstanceHeader]]) -> None:
    """Keep headers in one statement: (instance pk, the SHA-256 of the file they were read
    from, the header). The ingest keeps the headers it read as it stored the files
    (``read.summarize(describe=True)``), so the worker's ``make_for`` finds them kept."""
    if not described:
        return
    InstanceHeaderRecord.objects.bulk_create(
        [
            InstanceHeaderRecord(
                instance_id=pk,
                source=source,
                json=header.json,
                transfer_syntax=header.transfer_syntax,
                pixels_at=header.pixels_at,
                frames=header.frames,
                frame_size=header.frame_size,
            )
            for pk, source, header in described
        ],
        update_conflicts=True,
        unique_fields=["instance"],
        update_fields=["source", "json", *LOCATION_FIELDS[1:]],
    )


def headers_of(rows: Iterable[InstanceRecord], *, with_json: bool) -> dict[str, t.InstanceHeader]:
    """The headers of ``rows`` (fetched with ``select_related("header")``, the JSON deferred
    unless ``with_json``) by SOP Instance UID; those not kept yet are read now and kept. An
    instance whose file is missing or unreadable is left out."""
    found: dict[str, t.InstanceHeader] = {}
    fresh: list[tuple[InstanceRecord, t.InstanceHeader]] = []
    for row in rows:
        kept = _kept(row)
        if kept is not None:
            found[row.sop_instance_uid] = _as_type(kept, with_json)
            continue
        header = _read(row)
        if header is not None:
            fresh.append((row, header))
            found[row.sop_instance_uid] = header
    _keep(fresh)
    return found


def make_for(study_pks: Iterable[int]) -> None:
    """The ingest worker's step after a batch is stored: describe the instances of its
    studies that have no valid header yet. A failure is logged and never fails the batch (the
    first request that needs a header reads it)."""
    rows = (
        InstanceRecord.objects.filter(series__study_id__in=list(study_pks), stored=True)
        .select_related("header")
        .defer("header__json")
        .order_by("id")
    )
    try:
        missing = [row for row in rows if _kept(row) is None]
        for start in range(0, len(missing), 100):
            chunk = missing[start : start + 100]
            _keep([(row, header) for row in chunk if (header := _read(row)) is not None])
    except Exception:  # any storage or database failure: the lazy path covers it
        log.warning("instance headers of studies %s not kept", study_pks, exc_info=True)
