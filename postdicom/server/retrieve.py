"""WADO-RS retrieve and metadata of a study, a series or an instance (PS3.18 §10.4).

Files go out as they are stored (their own transfer syntax, named in each part's
``Content-Type``), streamed in pieces straight from storage: the response never holds a
whole file, and no database work happens once it has started. A file that has gone missing
from storage is left out of the body (and logged) rather than breaking the others.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping

from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from pydicom.errors import InvalidDicomError

from postdicom import get_api
from postdicom import types as t
from postdicom.dicom.described import describe, with_pixel_data_url
from postdicom.errors import NotFound
from postdicom.server.bulkdata import bulk_data, wants_bulk_data
from postdicom.server.http import (
    REUSE,
    REVALIDATE,
    AuthedRequest,
    NotAcceptable,
    compressed,
    conditional,
    dicomweb_url,
    dicomweb_view,
    entity_tag,
)
from postdicom.server.media import accepted, first_allowed, multipart_type, new_boundary

log = logging.getLogger(__name__)

PIECE = 256 * 1024  # bytes read from storage and sent at a time


def _check_dicom_accepted(request: AuthedRequest, instances: tuple[t.DicomInstance, ...]) -> None:
    """406 unless ``Accept`` allows DICOM files in the syntaxes they are stored in (no
    ``transfer-syntax``, ``*``, or the one syntax every file has)."""
    for entry in accepted(request):
        if not entry.allows("application/dicom"):
            continue
        if entry.transfer_syntax in (None, "*") or all(
            i.transfer_syntax_uid == entry.transfer_syntax for i in instances
        ):
            return
    raise NotAcceptable


def _files(stored: t.StoredInstances, boundary: str) -> Iterator[bytes]:
    for instance in stored.instances:
        try:
            handle = stored.open(instance)
        except NotFound:
            log.warning("DICOMweb: the file of %s is missing from storage", instance.sop_instance_uid)
            continue
        try:
            syntax = instance.transfer_syntax_uid
            yield f"--{boundary}\r\nContent-Type: application/dicom; transfer-syntax={syntax}\r\n\r\n".encode()
            while piece := handle.read(PIECE):
                yield piece
            yield b"\r\n"
        finally:
            handle.close()
    yield f"--{boundary}--\r\n".encode()


def _check_one_file(stored: t.StoredInstances, instance: str | None) -> None:
    """One instance asked for: its file must be there (404 otherwise), since a body without
    it would be an empty answer. A study or series leaves a missing file out instead."""
    if instance is not None:
        stored.open(stored.instances[0]).close()


def files_of(
    request: AuthedRequest, study: str, series: str | None = None, instance: str | None = None
) -> HttpResponseBase:
    """The files of a study, series or instance as multipart/related (also PostDICOM's flat paths)."""
    stored = get_api().open_instances(
        actor=request.user,
        study_uid=study,
        series_uid=series,
        sop_instance_uid=instance,
        purpose=t.DicomReadPurpose.RETRIEVE,
    )
    _check_one_file(stored, instance)
    cache_control = REUSE if instance else REVALIDATE
    if wants_bulk_data(request):
        return bulk_data(request, stored, cache_control)
    _check_dicom_accepted(request, stored.instances)
    etag = entity_tag("dicom", stored.instances)

    def files() -> HttpResponseBase:
        boundary = new_boundary()
        return StreamingHttpResponse(
            _files(stored, boundary), content_type=multipart_type(boundary, "application/dicom")
        )

    return conditional(request, stored, etag, cache_control, files)


@dicomweb_view
def retrieve_study(request: AuthedRequest, study: str) -> HttpResponseBase:
    return files_of(request, study)


@dicomweb_view
def retrieve_series(request: AuthedRequest, study: str, series: str) -> HttpResponseBase:
    return files_of(request, study, series)


@dicomweb_view
def retrieve_instance(request: AuthedRequest, study: str, series: str, instance: str) -> HttpResponseBase:
    return files_of(request, study, series, instance)


#: Up to this many frames, Pixel Data's BulkDataURI lists them all (``/frames/1,2,…``);
#: beyond, the list would outgrow request lines (gunicorn takes 4,094 bytes) and the URI is
#: the instance itself, as dcm4chee gives it.
LISTED_FRAMES = 256


def pixel_data_url(request: AuthedRequest, instance: t.DicomInstance) -> str:
    """Where a client fetches an instance's pixel data (Pixel Data's ``BulkDataURI``)."""
    uids = {"study": instance.study_uid, "series": instance.series_uid, "instance": instance.sop_instance_uid}
    count = max(instance.number_of_frames, 1)
    if count > LISTED_FRAMES:
        return dicomweb_url(request, "instance", **uids)
    frames = ",".join(str(n) for n in range(1, count + 1))
    return dicomweb_url(request, "frames", **uids, frames=frames)


def _read_header(stored: t.StoredInstances, instance: t.DicomInstance) -> t.InstanceHeader | None:
    """An instance's header read from its file (a backend that keeps none); None, logged,
    when the file is missing or unreadable."""
    try:
        handle = stored.open(instance)
    except NotFound:
        log.warning("DICOMweb: the file of %s is missing from storage", instance.sop_instance_uid)
        return None
    try:
        return describe(handle, instance.transfer_syntax_uid)
    except (InvalidDicomError, ValueError, TypeError, KeyError, EOFError, OSError):
        log.warning("DICOMweb: the file of %s cannot be read", instance.sop_instance_uid, exc_info=True)
        return None
    finally:
        handle.close()


def described(
    stored: t.StoredInstances, kept: Mapping[str, t.InstanceHeader] | None
) -> Iterator[tuple[t.DicomInstance, t.InstanceHeader]]:
    """Each instance with its header, in order: the kept one (``stored.headers()``, an
    instance missing from it being one whose file is missing or unreadable), else read from
    the file now."""
    for instance in stored.instances:
        header = kept.get(instance.sop_instance_uid) if kept is not None else _read_header(stored, instance)
        if header is not None:
            yield instance, header


#: Metadata goes out in pieces of about this many bytes (a 500-slice series is ~1.5 MB).
METADATA_PIECE = 64 * 1024


def _metadata_body(
    request: AuthedRequest, stored: t.StoredInstances, kept: Mapping[str, t.InstanceHeader] | None
) -> Iterator[bytes]:
    piece = ["["]
    size = 1
    first = True
    for instance, header in described(stored, kept):
        text = with_pixel_data_url(header, pixel_data_url(request, instance))
        piece.append(text if first else f",{text}")
        size += len(text) + 1
        first = False
        if size >= METADATA_PIECE:
            yield "".join(piece).encode()
            piece, size = [], 0
    piece.append("]")
    yield "".join(piece).encode()


def _metadata(
    request: AuthedRequest, study: str, series: str | None = None, instance: str | None = None
) -> HttpResponseBase:
    stored = get_api().open_instances(
        actor=request.user,
        study_uid=study,
        series_uid=series,
        sop_instance_uid=instance,
        purpose=t.DicomReadPurpose.METADATA,
    )
    _check_one_file(stored, instance)
    media_type = first_allowed(request, ("application/dicom+json", "application/json"))
    if media_type is None:
        raise NotAcceptable
    cache_control = REUSE if instance else REVALIDATE
    # The answer names URLs under the mount it came through (host, prefix, token).
    etag = entity_tag("metadata", stored.instances, dicomweb_url(request, "studies"))

    def body() -> HttpResponseBase:
        # The kept headers are fetched before the answer starts: no database work while streaming.
        kept = stored.headers()
        return StreamingHttpResponse(_metadata_body(request, stored, kept), content_type=media_type)

    return compressed(request, conditional(request, stored, etag, cache_control, body))


@dicomweb_view
def study_metadata(request: AuthedRequest, study: str) -> HttpResponseBase:
    return _metadata(request, study)


@dicomweb_view
def series_metadata(request: AuthedRequest, study: str, series: str) -> HttpResponseBase:
    return _metadata(request, study, series)


@dicomweb_view
def instance_metadata(request: AuthedRequest, study: str, series: str, instance: str) -> HttpResponseBase:
    return _metadata(request, study, series, instance)
