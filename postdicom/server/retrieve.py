"""WADO-RS retrieve and metadata of a study, a series or an instance (PS3.18 §10.4).

Files go out as they are stored (their own transfer syntax, named in each part's
``Content-Type``), streamed in pieces straight from storage: the response never holds a
whole file, and no database work happens once it has started. A file that has gone missing
from storage is left out of the body (and logged) rather than breaking the others.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from pydicom.errors import InvalidDicomError

from postdicom import get_api
from postdicom import types as t
from postdicom.dicom.frames import read_header
from postdicom.errors import NotFound
from postdicom.server import dicomjson
from postdicom.server.http import (
    REUSE,
    REVALIDATE,
    AuthedRequest,
    NotAcceptable,
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


def _retrieve(
    request: AuthedRequest, study: str, series: str | None = None, instance: str | None = None
) -> HttpResponseBase:
    stored = get_api().open_instances(
        actor=request.user,
        study_uid=study,
        series_uid=series,
        sop_instance_uid=instance,
        purpose=t.DicomReadPurpose.RETRIEVE,
    )
    _check_one_file(stored, instance)
    _check_dicom_accepted(request, stored.instances)
    cache_control = REUSE if instance else REVALIDATE
    etag = entity_tag("dicom", stored.instances)

    def files() -> HttpResponseBase:
        boundary = new_boundary()
        return StreamingHttpResponse(
            _files(stored, boundary), content_type=multipart_type(boundary, "application/dicom")
        )

    return conditional(request, stored, etag, cache_control, files)


@dicomweb_view
def retrieve_study(request: AuthedRequest, study: str) -> HttpResponseBase:
    return _retrieve(request, study)


@dicomweb_view
def retrieve_series(request: AuthedRequest, study: str, series: str) -> HttpResponseBase:
    return _retrieve(request, study, series)


@dicomweb_view
def retrieve_instance(request: AuthedRequest, study: str, series: str, instance: str) -> HttpResponseBase:
    return _retrieve(request, study, series, instance)


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


def _metadata_body(request: AuthedRequest, stored: t.StoredInstances) -> Iterator[bytes]:
    yield b"["
    first = True
    for instance in stored.instances:
        try:
            handle = stored.open(instance)
        except NotFound:
            log.warning("DICOMweb: the file of %s is missing from storage", instance.sop_instance_uid)
            continue
        try:
            ds = read_header(handle)
        except (InvalidDicomError, ValueError, EOFError, OSError):
            log.warning("DICOMweb: the file of %s cannot be read", instance.sop_instance_uid, exc_info=True)
            continue
        finally:
            handle.close()
        item = dicomjson.metadata(ds, instance, pixel_data_url(request, instance))
        yield (b"" if first else b",") + json.dumps(item).encode()
        first = False
    yield b"]"


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
    return conditional(
        request,
        stored,
        etag,
        cache_control,
        lambda: StreamingHttpResponse(_metadata_body(request, stored), content_type=media_type),
    )


@dicomweb_view
def study_metadata(request: AuthedRequest, study: str) -> HttpResponseBase:
    return _metadata(request, study)


@dicomweb_view
def series_metadata(request: AuthedRequest, study: str, series: str) -> HttpResponseBase:
    return _metadata(request, study, series)


@dicomweb_view
def instance_metadata(request: AuthedRequest, study: str, series: str, instance: str) -> HttpResponseBase:
    return _metadata(request, study, series, instance)
