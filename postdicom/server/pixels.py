"""WADO-RS frames, rendered images and thumbnails of an instance (PS3.18 §10.4, §10.7).

Frames: an uncompressed file's frames go out as ``application/octet-stream`` (cut straight
out of the file). A compressed frame goes out in its own transfer syntax (``image/jpeg``,
``image/jp2``, ``image/dicom-rle``…) when ``Accept`` allows it (``*/*``, its media type, or
``transfer-syntax=*``); otherwise it is decoded with pydicom into uncompressed bytes: JPEG
baseline, extended and lossless and JPEG-LS by pylibjpeg-libjpeg, JPEG 2000 by
pylibjpeg-openjpeg (or Pillow), RLE by pylibjpeg-rle, deflated and big-endian files by pydicom.
A frame that cannot be decoded (no decoder for its syntax, or damaged pixel data) is a 406
whose JSON reason says which, and how to get the frame as stored instead.

A frame cut out as stored needs to know where the file's pixel data starts; reading the
header for that (pydicom walks every element) is most of a frame request's time in Python,
so each worker process remembers it for the last ``LOCATIONS_KEPT`` files, by the file's
SHA-256: the same bytes have their pixel data at the same place, so what is remembered is
never stale, and rights are still checked on every request (docs/decisions.md, "Frames: the
pixel data's place remembered").

Rendered and thumbnail: JPEG (default) or PNG, with ``window=center,width[,function]``
(``linear``, ``linear_exact``, ``sigmoid``), ``viewport=width,height`` and ``quality``.
Without a window the file's own is used, else the frame's range.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import IO

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from postdicom import get_api
from postdicom import types as t
from postdicom.dicom import frames as dicom_frames
from postdicom.dicom.described import location_of
from postdicom.dicom.render import RENDERED_TYPES, WINDOW_FUNCTIONS, Window, render
from postdicom.errors import InvalidInput, NotFound
from postdicom.server.http import (
    REUSE,
    AuthedRequest,
    NotAcceptable,
    conditional,
    dicomweb_view,
    entity_tag,
)
from postdicom.server.media import accepted, first_allowed, multipart_body, multipart_type, new_boundary

_NATIVE = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)
OCTETS = "application/octet-stream"
THUMBNAIL = (128, 128)
MAX_VIEWPORT = 4096
MAX_FRAMES_ASKED = 1000
#: Files whose pixel data's place each process remembers (about 200 bytes each).
LOCATIONS_KEPT = 20_000

_locations: OrderedDict[str, dicom_frames.PixelLocation] = OrderedDict()
_locations_lock = threading.Lock()


def pixel_location(handle: IO[bytes], item: t.DicomInstance) -> dicom_frames.PixelLocation:
    """Where ``item``'s pixel data is in its file (``handle``): remembered by the file's
    SHA-256, else read from the header (``NoSuchFrame`` for a file without pixel data)."""
    key = f"{item.sha256}:{item.transfer_syntax_uid}" if item.sha256 else ""
    if key:
        with _locations_lock:
            found = _locations.get(key)
            if found is not None:
                _locations.move_to_end(key)
                return found
    _ds, found = dicom_frames.locate_pixels(handle)
    if key:
        with _locations_lock:
            _locations[key] = found
            while len(_locations) > LOCATIONS_KEPT:
                _locations.popitem(last=False)
    return found


def forget_pixel_locations() -> None:
    """Forget every remembered place (tests)."""
    with _locations_lock:
        _locations.clear()


@dataclass(frozen=True)
class FramePlan:
    """How frames go out: ``raw`` as stored, else decoded; with this media type and syntax."""

    raw: bool
    media_type: str
    transfer_syntax: str


def frame_plan(request: AuthedRequest, syntax: str) -> FramePlan:
    """What to send for a file stored in ``syntax``, by the client's ``Accept``."""
    own = dicom_frames.FRAME_MEDIA_TYPES.get(syntax)
    for entry in accepted(request):
        if syntax in _NATIVE:
            if entry.allows(OCTETS) and entry.transfer_syntax in (None, "*", ExplicitVRLittleEndian, syntax):
                return FramePlan(True, OCTETS, ExplicitVRLittleEndian)
            continue
        if own is not None and entry.allows(own) and entry.allows_syntax(syntax):
            return FramePlan(True, own, syntax)
        if own is not None and entry.media_type == OCTETS and entry.transfer_syntax in ("*", syntax):
            return FramePlan(True, OCTETS, syntax)
        if (
            entry.allows(OCTETS)
            and entry.transfer_syntax in (None, "*", ExplicitVRLittleEndian)
            and dicom_frames.can_decode(syntax)
        ):
            return FramePlan(False, OCTETS, ExplicitVRLittleEndian)
    raise NotAcceptable


def frame_numbers(text: str) -> list[int]:
    numbers = [int(n) for n in text.split(",")]
    if not numbers or len(numbers) > MAX_FRAMES_ASKED or min(numbers) < 1:
        raise InvalidInput({"frames": _("Frames are numbered from 1.")})
    return numbers


def _instance(
    request: AuthedRequest, study: str, series: str, instance: str, purpose: t.DicomReadPurpose
) -> t.StoredInstances:
    return get_api().open_instances(
        actor=request.user, study_uid=study, series_uid=series, sop_instance_uid=instance, purpose=purpose
    )


@dicomweb_view
def frames(request: AuthedRequest, study: str, series: str, instance: str, frames: str) -> HttpResponseBase:
    numbers = frame_numbers(frames)
    stored = _instance(request, study, series, instance, t.DicomReadPurpose.FRAMES)
    item = stored.instances[0]
    plan = frame_plan(request, item.transfer_syntax_uid)
    etag = entity_tag("frames", [item], frames, plan)

    def body() -> HttpResponseBase:
        location = kept_location(stored, item)
        handle = stored.open(item)
        try:
            pieces = _frames(handle, item, plan, numbers, location)
        finally:
            handle.close()
        boundary = new_boundary()
        part_type = f"{plan.media_type}; transfer-syntax={plan.transfer_syntax}"
        parts = b"".join(multipart_body(boundary, [(part_type, [piece]) for piece in pieces]))
        return HttpResponse(parts, content_type=multipart_type(boundary, plan.media_type, plan.transfer_syntax))

    return conditional(request, stored, etag, REUSE, body)


def kept_location(stored: t.StoredInstances, item: t.DicomInstance) -> dicom_frames.PixelLocation | None:
    """Where ``item``'s pixel data is, from its kept header (None: read the file's header)."""
    kept = stored.headers()
    header = kept.get(item.sop_instance_uid) if kept is not None else None
    return location_of(header) if header is not None else None


def _frames(
    handle: IO[bytes],
    item: t.DicomInstance,
    plan: FramePlan,
    numbers: list[int],
    location: dicom_frames.PixelLocation | None = None,
) -> list[bytes]:
    """The frames asked for, as the plan says; the header is read once for all of them
    (not at all when its ``location`` is known)."""
    if not plan.raw:
        location = None
    elif location is None:
        try:
            location = pixel_location(handle, item)
        except dicom_frames.NoSuchFrame:
            raise NotFound(_("This image has no frame %(number)d.") % {"number": numbers[0]}) from None
    pieces = []
    for number in numbers:
        try:
            if location is not None:
                try:
                    pieces.append(dicom_frames.raw_frame(handle, location, number - 1))
                    continue
                except dicom_frames.NotDecodable:
                    pass  # frames not on byte boundaries (1-bit) or deflated: decode instead
            pieces.append(dicom_frames.decoded_frame(handle, item.transfer_syntax_uid, number - 1))
        except dicom_frames.NoSuchFrame:
            raise NotFound(_("This image has no frame %(number)d.") % {"number": number}) from None
        except dicom_frames.NotDecodable as error:
            raise NotAcceptable(undecodable(item)) from error
    return pieces


def undecodable(item: t.DicomInstance) -> str:
    """Why an image cannot be decoded here, for the client (406)."""
    syntax = UID(item.transfer_syntax_uid or ImplicitVRLittleEndian)
    if not dicom_frames.can_decode(syntax):
        return _(
            "This image is compressed as %(syntax)s, which this server cannot decode. "
            "Ask for its frames as stored (transfer-syntax=*)."
        ) % {"syntax": syntax.name}
    return _(
        "This image (%(syntax)s) could not be decoded: its pixel data is damaged or does not match "
        "its description. Ask for its frames as stored (transfer-syntax=*)."
    ) % {"syntax": syntax.name}


_PAIR = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*(?:,\s*([A-Za-z_]+)\s*)?$")


def window_of(request: AuthedRequest) -> Window | None:
    raw = request.GET.get("window", "").strip()
    if not raw:
        return None
    match = _PAIR.match(raw)
    function = (match.group(3) or "linear").lower() if match else ""
    if match is None or float(match.group(2)) < 1 or function not in WINDOW_FUNCTIONS:
        raise InvalidInput(
            {"window": _("Give the window as center,width[,function], for example window=40,400,linear.")}
        )
    return Window(float(match.group(1)), float(match.group(2)), function)


def viewport_of(request: AuthedRequest, default: tuple[int, int] | None) -> tuple[int, int] | None:
    raw = request.GET.get("viewport", "").strip()
    if not raw:
        return default
    parts = raw.split(",")
    if len(parts) != 2 or not all(p.strip().isdigit() and 0 < int(p) <= MAX_VIEWPORT for p in parts):
        raise InvalidInput({"viewport": _("Give the viewport as width,height in pixels, for example 512,512.")})
    return int(parts[0]), int(parts[1])


def quality_of(request: AuthedRequest) -> int:
    raw = request.GET.get("quality", "").strip()
    if not raw:
        return 90
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise InvalidInput({"quality": _("The quality is a number from 1 to 100.")})
    return int(raw)


def _rendered(
    request: AuthedRequest, study: str, series: str, instance: str, number: int, viewport: tuple[int, int] | None
) -> HttpResponseBase:
    media_type = first_allowed(request, RENDERED_TYPES)
    if media_type is None:
        raise NotAcceptable
    window, viewport, quality = window_of(request), viewport_of(request, viewport), quality_of(request)
    stored = _instance(request, study, series, instance, t.DicomReadPurpose.RENDERED)
    item = stored.instances[0]
    etag = entity_tag("rendered", [item], number, window, viewport, quality, media_type)

    def picture() -> HttpResponseBase:
        handle = stored.open(item)
        try:
            image = render(
                handle,
                item.transfer_syntax_uid,
                number - 1,
                window=window,
                viewport=viewport,
                media_type=media_type,
                quality=quality,
            )
        except dicom_frames.NoSuchFrame:
            raise NotFound(_("This image has no frame %(number)d.") % {"number": number}) from None
        except dicom_frames.NotDecodable as error:
            raise NotAcceptable(undecodable(item)) from error
        finally:
            handle.close()
        return HttpResponse(image, content_type=media_type)

    return conditional(request, stored, etag, REUSE, picture)


@dicomweb_view
def instance_rendered(request: AuthedRequest, study: str, series: str, instance: str) -> HttpResponseBase:
    """The first frame (a multi-frame instance's others: ``/frames/{n}/rendered``)."""
    return _rendered(request, study, series, instance, 1, None)


@dicomweb_view
def frame_rendered(request: AuthedRequest, study: str, series: str, instance: str, frames: str) -> HttpResponseBase:
    numbers = frame_numbers(frames)
    if len(numbers) != 1:
        raise InvalidInput({"frames": _("A rendered image shows one frame: ask for one number.")})
    return _rendered(request, study, series, instance, numbers[0], None)


@dicomweb_view
def instance_thumbnail(request: AuthedRequest, study: str, series: str, instance: str) -> HttpResponseBase:
    return _rendered(request, study, series, instance, 1, THUMBNAIL)
