"""The frames of a stored DICOM file, read without loading the rest of it.

``locate_pixels`` reads the header (pydicom stops before the pixel data and leaves the file
standing at its tag) and works out where Pixel Data's value starts. A frame of an
uncompressed file is then one seek and one read of ``Rows × Columns × Samples × Bits/8``
bytes; a frame of an encapsulated (compressed) file is found through its offset table or
its fragments (pydicom's ``get_frame``), still reading only from the pixel data on.

``raw_frame`` gives the frame as stored (in the file's transfer syntax); ``decoded_frame``
decodes it with pydicom's pixel handlers (little-endian native bytes, colour as RGB) and
raises ``NotDecodable`` when no decoder for the transfer syntax is installed. Deflated files
have no usable offsets in the file and are always decoded whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from pydicom.dataset import Dataset
from pydicom.encaps import get_frame
from pydicom.filereader import dcmread
from pydicom.pixels import get_decoder, pixel_array
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

_PIXEL_DATA_TAG = b"\xe0\x7f\x10\x00"
_LONG_VRS = {b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"UN", b"UT", b"UC", b"UR", b"SQ"}

#: PS3.18 Table 8.7.3-5: the media type of a compressed frame in its own transfer syntax.
#: Uncompressed frames (and any other syntax asked as ``transfer-syntax=*``) are
#: ``application/octet-stream``.
FRAME_MEDIA_TYPES: dict[str, str] = {
    "1.2.840.10008.1.2.4.50": "image/jpeg",
    "1.2.840.10008.1.2.4.51": "image/jpeg",
    "1.2.840.10008.1.2.4.57": "image/jpeg",
    "1.2.840.10008.1.2.4.70": "image/jpeg",
    "1.2.840.10008.1.2.4.80": "image/jls",
    "1.2.840.10008.1.2.4.81": "image/jls",
    "1.2.840.10008.1.2.4.90": "image/jp2",
    "1.2.840.10008.1.2.4.91": "image/jp2",
    "1.2.840.10008.1.2.4.92": "image/jpx",
    "1.2.840.10008.1.2.4.93": "image/jpx",
    "1.2.840.10008.1.2.4.201": "image/jphc",
    "1.2.840.10008.1.2.4.202": "image/jphc",
    "1.2.840.10008.1.2.4.203": "image/jphc",
    "1.2.840.10008.1.2.5": "image/dicom-rle",
}

UNCOMPRESSED = (ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian)


class FrameError(Exception):
    """A frame that cannot be served."""


class NoSuchFrame(FrameError):
    """The file has no pixel data, or fewer frames than asked."""


class NotDecodable(FrameError):
    """No decoder for the file's transfer syntax is installed here."""


@dataclass(frozen=True)
class PixelLocation:
    """Where the pixel data of a file is: ``value_offset`` is the first byte of its value;
    ``frame_size`` the bytes of one uncompressed frame (0 when compressed or when frames do
    not start on byte boundaries, and for deflated files)."""

    transfer_syntax: UID
    value_offset: int
    frames: int
    frame_size: int

    @property
    def encapsulated(self) -> bool:
        return self.transfer_syntax.is_encapsulated


def read_header(handle: IO[bytes]) -> Dataset:
    """The data set up to (not including) the pixel data; the handle stays at its tag."""
    handle.seek(0)
    return dcmread(handle, stop_before_pixels=True, force=True)


def number_of_frames(ds: Dataset) -> int:
    try:
        return max(1, int(ds.get("NumberOfFrames", 1) or 1))
    except (TypeError, ValueError):
        return 1


def locate_pixels(handle: IO[bytes]) -> tuple[Dataset, PixelLocation]:
    """The header and where the pixel data is; ``NoSuchFrame`` for a file without it."""
    ds = read_header(handle)
    return ds, pixel_location(handle, ds)


def pixel_location(handle: IO[bytes], ds: Dataset) -> PixelLocation:
    """Where the pixel data is, ``handle`` standing where ``read_header`` left it (at the
    Pixel Data tag); ``NoSuchFrame`` for a file without it."""
    start = handle.tell()
    head = handle.read(12)
    if head[:4] != _PIXEL_DATA_TAG or "Rows" not in ds or "Columns" not in ds:
        raise NoSuchFrame("no pixel data")
    syntax = UID(getattr(ds.file_meta, "TransferSyntaxUID", ImplicitVRLittleEndian))
    if syntax.is_implicit_VR:
        offset = start + 8
    elif head[4:6] in _LONG_VRS:
        offset = start + 12
    else:
        offset = start + 8
    frames = number_of_frames(ds)
    bits = int(ds.get("BitsAllocated", 8) or 8)
    size = 0
    if not syntax.is_encapsulated and not syntax.is_deflated and bits % 8 == 0:
        size = int(ds.Rows) * int(ds.Columns) * int(ds.get("SamplesPerPixel", 1) or 1) * bits // 8
        if str(ds.get("PhotometricInterpretation", "")) == "YBR_FULL_422":
            size = size * 2 // 3  # two chroma samples shared by each pair of pixels (PS3.3 C.7.6.3.1.2)
    return PixelLocation(syntax, offset, frames, size)


def raw_frame(handle: IO[bytes], location: PixelLocation, index: int) -> bytes:
    """Frame ``index`` (from 0) as stored; ``NotDecodable`` for files whose frames cannot be
    cut out as stored (deflated, or 1-bit native), ``NoSuchFrame`` past the last frame."""
    if not 0 <= index < location.frames:
        raise NoSuchFrame(f"frame {index + 1} of {location.frames}")
    if location.encapsulated:
        handle.seek(location.value_offset)
        try:
            return get_frame(handle, index, number_of_frames=location.frames)
        except ValueError as error:
            raise NoSuchFrame(str(error)) from error
    if not location.frame_size:
        raise NotDecodable("frames of this file are not stored on byte boundaries")
    handle.seek(location.value_offset + index * location.frame_size)
    data = handle.read(location.frame_size)
    if len(data) != location.frame_size:
        raise NoSuchFrame("the pixel data is shorter than its frames")
    return data


def can_decode(syntax: str) -> bool:
    """Whether pydicom has a working decoder (plugin installed) for ``syntax``."""
    if UID(syntax) in UNCOMPRESSED:
        return True
    try:
        return bool(get_decoder(UID(syntax)).is_available)
    except NotImplementedError:
        return False


#: What pydicom's decoders raise for pixel data they cannot make sense of (a damaged stream,
#: a header that contradicts the data, a required element missing).
_DECODING_ERRORS = (ValueError, RuntimeError, NotImplementedError, AttributeError, KeyError, TypeError)


def decoded_array(handle: IO[bytes], syntax: str, index: int, **options: Any) -> Any:
    """Frame ``index`` decoded to a NumPy array (colour as RGB). ``NotDecodable`` when no
    decoder for ``syntax`` is installed or the pixel data cannot be decoded (damaged, or a
    header that does not describe it); ``NoSuchFrame`` past the last frame.

    A file is decoded from its pixel data on, without reading the rest into memory. A
    deflated file is read whole (its bytes after the header are one zlib stream, so no frame
    can be found without inflating it), and so is a file whose encapsulated frames cannot be
    found from the file alone (a damaged offset table, which pydicom's reading of the whole
    data set gets past)."""
    if not can_decode(syntax):
        raise NotDecodable(f"no decoder for {UID(syntax).name}")
    handle.seek(0)
    try:
        if not UID(syntax).is_deflated:
            try:
                return pixel_array(handle, index=index, **options)  # type: ignore[arg-type]  # any binary handle
            except _DECODING_ERRORS:
                if not UID(syntax).is_encapsulated:
                    raise
                handle.seek(0)
        ds = dcmread(handle, force=True)
        if index >= int(ds.get("NumberOfFrames", 1) or 1):
            raise NoSuchFrame(f"there is no frame {index + 1}")
        return get_decoder(UID(syntax)).as_array(ds, index=index, **options)[0]
    except IndexError as error:
        raise NoSuchFrame(str(error)) from error
    except _DECODING_ERRORS as error:
        raise NotDecodable(str(error)) from error


def decoded_frame(handle: IO[bytes], syntax: str, index: int) -> bytes:
    """Frame ``index`` decoded to native little-endian bytes (pixel-interleaved)."""
    array = decoded_array(handle, syntax, index)
    return bytes(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())
