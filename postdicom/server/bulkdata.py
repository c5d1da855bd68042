"""WADO-RS retrieve of a study, series or instance as bulk data (PS3.18 §10.4.1, the
"Bulkdata" media types): asked for with ``Accept: multipart/related;
type="application/octet-stream"`` (``transfer-syntax=*`` for compressed frames as stored),
the answer is the pixel data of every instance, one part per frame, each part naming its
frame's URL in ``Content-Location`` (the instance's ``…/frames/{n}``, where Pixel Data's
BulkDataURI points) and its length in ``Content-Length``.

This is how the viewer loads a whole stack in one request instead of one per slice. Frames
are cut out of the files where the kept headers say (``StoredInstances.headers``), decoded
only when the client does not take the stored syntax (as ``/frames`` does), and streamed one
at a time: no database work once the answer has started. An instance whose file is missing
or whose frames cannot be read is left out (and logged), like the other retrieves do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping

from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase

from postdicom import types as t
from postdicom.dicom.described import location_of
from postdicom.dicom.frames import FrameError
from postdicom.errors import NotFound
from postdicom.server.http import AuthedRequest, NotAcceptable, conditional, dicomweb_url, entity_tag
from postdicom.server.media import accepted, multipart_type, new_boundary
from postdicom.server.pixels import OCTETS, FramePlan, _frames, frame_plan

log = logging.getLogger(__name__)


def wants_bulk_data(request: AuthedRequest) -> bool:
    """Whether the client's preferred answer is bulk data (``application/octet-stream`` named
    explicitly) rather than DICOM files (``application/dicom``, ``*/*`` or no ``Accept``)."""
    for entry in accepted(request):
        if entry.media_type == OCTETS:
            return True
        if entry.allows("application/dicom"):
            return False
    return False


def _parts(
    request: AuthedRequest,
    stored: t.StoredInstances,
    kept: Mapping[str, t.InstanceHeader] | None,
    plans: dict[str, FramePlan],
    boundary: str,
) -> Iterator[bytes]:
    for instance in stored.instances:
        header = kept.get(instance.sop_instance_uid) if kept is not None else None
        if kept is not None and (header is None or header.pixels_at is None):
            continue  # a missing or unreadable file (logged when its header was read), or no pixels
        plan = plans.get(instance.transfer_syntax_uid)
        if plan is None:
            continue
        try:
            handle = stored.open(instance)
        except NotFound:
            log.warning("DICOMweb: the file of %s is missing from storage", instance.sop_instance_uid)
            continue
        uids = {"study": instance.study_uid, "series": instance.series_uid, "instance": instance.sop_instance_uid}
        location = location_of(header) if header is not None else None
        part_type = f"{plan.media_type}; transfer-syntax={plan.transfer_syntax}"
        try:
            for number in range(1, max(instance.number_of_frames, 1) + 1):
                try:
                    [piece] = _frames(handle, instance, plan, [number], location)
                except (NotFound, NotAcceptable, FrameError, OSError):
                    log.warning("DICOMweb: frame %d of %s not sent", number, instance.sop_instance_uid, exc_info=True)
                    break
                where = dicomweb_url(request, "frames", **uids, frames=str(number))
                yield (
                    f"--{boundary}\r\nContent-Type: {part_type}\r\nContent-Location: {where}\r\n"
                    f"Content-Length: {len(piece)}\r\n\r\n"
                ).encode()
                yield piece
                yield b"\r\n"
        finally:
            handle.close()
    yield f"--{boundary}--\r\n".encode()


def _plans(request: AuthedRequest, stored: t.StoredInstances) -> dict[str, FramePlan]:
    """How each transfer syntax of ``stored`` goes out. A syntax whose frames can be sent
    neither as stored nor decoded as the client accepts has no plan: its instances are left
    out (asked for alone, ``/frames`` says why); 406 only when that is every instance."""
    plans = {}
    for syntax in {i.transfer_syntax_uid for i in stored.instances}:
        try:
            plans[syntax] = frame_plan(request, syntax)
        except NotAcceptable:
            continue
    if not plans:
        raise NotAcceptable
    return plans


def bulk_data(request: AuthedRequest, stored: t.StoredInstances, cache_control: str) -> HttpResponseBase:
    """The frames of ``stored`` as multipart bulk data; 406 when a file's frames can be sent
    neither as stored nor decoded in a way the client accepts."""
    plans = _plans(request, stored)
    etag = entity_tag("bulkdata", stored.instances, sorted(plans.items()), dicomweb_url(request, "studies"))

    def body() -> HttpResponseBase:
        kept = stored.headers()  # before the answer starts: no database work while streaming
        boundary = new_boundary()
        return StreamingHttpResponse(
            _parts(request, stored, kept, plans, boundary), content_type=multipart_type(boundary, OCTETS)
        )

    return conditional(request, stored, etag, cache_control, body)
