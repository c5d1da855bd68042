"""Is a file the same image as one already stored? For two files with one SOP Instance UID.

The same bytes are the same image. Otherwise the pixel data decides: an anonymized copy
(other patient details, the same UIDs when only values were replaced) keeps the pixels of
the original, so it is the same image; anything else under the same UID is a conflict. Files
without pixel data (a structured report) are the same only byte for byte. Uncompressed pixel
data is compared as little-endian values, so a big-endian or implicit-VR copy of an image is
the same image; compressed pixel data is compared as it is stored (no decoder is installed),
so a copy in another compression shows as a conflict, for a person to judge. Only called when
a UID arrives twice, so reading the pixel data of both files costs nothing in the common case.
"""

from __future__ import annotations

import array
import hashlib
import logging
from typing import IO

from pydicom.dataset import Dataset
from pydicom.filereader import dcmread
from pydicom.uid import ExplicitVRBigEndian

from postdicom.dicom.layout import PIXEL_TAGS

logger = logging.getLogger(__name__)


def pixel_digest(fp: IO[bytes]) -> str:
    """SHA-256 (hex) of the file's pixel data elements (tag and value); "" when it has none
    or cannot be read."""
    try:
        dataset = dcmread(fp, force=True)
    except Exception as error:  # a damaged stored file compares as different, never a crash
        logger.info("Could not read pixel data to compare: %r", error)
        return ""
    digest = hashlib.sha256()
    found = False
    for tag in sorted(PIXEL_TAGS):
        if tag in dataset:
            value = dataset[tag].value
            if isinstance(value, bytes | bytearray):
                value = _little_endian(dataset, tag, bytes(value))
                digest.update(tag.to_bytes(4, "big"))
                digest.update(len(value).to_bytes(8, "big"))
                digest.update(value)
                found = True
    return digest.hexdigest() if found else ""


_WORDS = {0x7FE00010: None, 0x7FE00008: 4, 0x7FE00009: 8}  # pixel data: per BitsAllocated


def _little_endian(dataset: Dataset, tag: int, value: bytes) -> bytes:
    """Big-endian uncompressed pixel values as little-endian ones; anything else as it is."""
    meta = getattr(dataset, "file_meta", None)
    if meta is None or str(meta.get("TransferSyntaxUID", "")) != ExplicitVRBigEndian:
        return value
    width = _WORDS[tag] or (int(dataset.get("BitsAllocated", 8) or 8) + 7) // 8
    codes = {2: "H", 4: "I", 8: "Q"}
    if width not in codes or len(value) % width:
        return value
    values = array.array(codes[width])
    if values.itemsize != width:
        return value
    values.frombytes(value)
    values.byteswap()
    return values.tobytes()


def same_pixels(a: IO[bytes], b: IO[bytes]) -> bool:
    """Whether two DICOM files hold the same pixel data (and have some)."""
    first = pixel_digest(a)
    return bool(first) and first == pixel_digest(b)
