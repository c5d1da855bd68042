"""One reading of a stored file's header for everything DICOMweb serves from it: the
instance's DICOM JSON (``/metadata``, PS3.18 F.2) and where its pixel data lies (frames and
bulk data cut straight out of the file). Made once per instance and kept
(``postdicom.local.images.headers``), so a series' metadata or a frame never parses a file.
"""

from __future__ import annotations

import json
from typing import IO, Any

from pydicom.dataset import Dataset
from pydicom.uid import UID, ImplicitVRLittleEndian

from postdicom import types as t
from postdicom.dicom.frames import NoSuchFrame, PixelLocation, pixel_location, read_header

#: Metadata inlines binary values up to this size; larger ones (rare outside pixel data,
#: which is left out) are dropped rather than base64'd into every response.
INLINE_LIMIT = 64 * 1024

_ENCAPSULATED = ("1.2.840.10008.1.2.4", "1.2.840.10008.1.2.5")


def metadata_json(ds: Dataset, transfer_syntax: str) -> dict[str, Any]:
    """An instance's header as DICOM JSON. Pixel data is not inlined: its ``BulkDataURI`` is
    a placeholder (``t.PIXEL_DATA_URI_PLACEHOLDER`` once dumped compactly) that the server
    fills in per request. Other binary values over ``INLINE_LIMIT`` (rare) are left out; the
    stored transfer syntax is given as Available Transfer Syntax UID."""
    out: dict[str, Any] = ds.to_json_dict(INLINE_LIMIT, lambda _element: "", suppress_invalid_tags=True)
    out = {tag: value for tag, value in out.items() if value.get("BulkDataURI") != ""}
    out["00083002"] = {"vr": "UI", "Value": [transfer_syntax]} if transfer_syntax else {"vr": "UI"}
    if "Rows" in ds:
        encapsulated = transfer_syntax.startswith(_ENCAPSULATED)
        out["7FE00010"] = {"vr": "OB" if encapsulated else "OW", "BulkDataURI": "\x00"}
    return dict(sorted(out.items()))


def dumps(item: dict[str, Any]) -> str:
    return json.dumps(item, separators=(",", ":"))


def describe(handle: IO[bytes], transfer_syntax: str) -> t.InstanceHeader:
    """The header of the file open as ``handle``, stored in ``transfer_syntax`` (the index's)."""
    return described(read_header(handle), handle, transfer_syntax)


def described(ds: Dataset, handle: IO[bytes], transfer_syntax: str) -> t.InstanceHeader:
    """The header ``ds`` read from ``handle`` (up to its pixel data, as ``read_header`` reads
    it), ``handle`` standing at the Pixel Data tag or at the end of the file: what the ingest
    describes from the reading it already did (``read.summarize(describe=True)``)."""
    text = dumps(metadata_json(ds, transfer_syntax))
    try:
        location = pixel_location(handle, ds)
    except NoSuchFrame:
        return t.InstanceHeader(text, transfer_syntax or ImplicitVRLittleEndian, None, 0, 0)
    return t.InstanceHeader(
        text, str(location.transfer_syntax), location.value_offset, location.frames, location.frame_size
    )


def with_pixel_data_url(header: t.InstanceHeader, url: str) -> str:
    """The header's JSON with Pixel Data's BulkDataURI set to ``url``."""
    return header.json.replace(t.PIXEL_DATA_URI_PLACEHOLDER, f'"BulkDataURI":{json.dumps(url)}', 1)


def location_of(header: t.InstanceHeader) -> PixelLocation | None:
    """Where the pixel data is, as kept in ``header`` (None: no pixel data)."""
    if header.pixels_at is None:
        return None
    return PixelLocation(UID(header.transfer_syntax), header.pixels_at, header.frames, header.frame_size)
