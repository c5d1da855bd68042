"""Clinical documents: recognised by their first bytes (magic numbers), never by their name.

An order accepts PDF, JPEG, PNG, BMP and MP4 (``UploadDocumentFiles``). :func:`check_document`
returns the canonical content type and extension to store and serve the file with, or raises
:class:`DocumentRefused` with a sentence for clinic staff that names what the file looks like
(an HTML page, an SVG image, a ZIP archive, a program, a DICOM image…) when it can tell.

:func:`content_kind` is also used by :mod:`postdicom.dicom.sniff` to explain why a file
with a ``.dcm`` name is not DICOM ("it looks like a PNG image"): it names the kind with a key
that can be stored, and :func:`kind_label` words it in the reader's language.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

#: How many bytes of a file the checks look at.
HEAD_BYTES = 4096

#: ISO base media file format brands that mean "an MP4 a browser can play".
MP4_BRANDS = frozenset(
    {
        b"isom",
        b"iso2",
        b"iso3",
        b"iso4",
        b"iso5",
        b"iso6",
        b"iso7",
        b"iso8",
        b"iso9",
        b"mp41",
        b"mp42",
        b"mp71",
        b"avc1",
        b"M4V ",
        b"M4VH",
        b"M4VP",
        b"dash",
        b"MSNV",
        b"f4v ",
        b"mmp4",
    }
)

#: Sizes of the BMP information headers that exist (core, v2–v5, OS/2 2.x).
_BMP_DIB_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})

_PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class DocumentType:
    """An accepted document: what to store it as and serve it with."""

    kind: str  # "pdf", "jpeg", "png", "bmp" or "mp4"
    content_type: str
    extension: str  # with the dot


PDF = DocumentType("pdf", "application/pdf", ".pdf")
JPEG = DocumentType("jpeg", "image/jpeg", ".jpg")
PNG = DocumentType("png", "image/png", ".png")
BMP = DocumentType("bmp", "image/bmp", ".bmp")
MP4 = DocumentType("mp4", "video/mp4", ".mp4")


class DocumentRefused(Exception):
    """The file is not an accepted document; ``reason`` is for clinic staff."""

    def __init__(self, reason: str, looks_like: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.looks_like = looks_like


def _is_bmp(head: bytes) -> bool:
    if len(head) < 26 or head[:2] != b"BM":
        return False
    file_size, _reserved, pixel_offset, dib_size = struct.unpack("<LLLL", head[2:18])
    if dib_size not in _BMP_DIB_SIZES:
        return False
    return pixel_offset >= 14 + dib_size and (file_size == 0 or file_size >= pixel_offset)


def _ftyp_brands(head: bytes) -> tuple[bytes, list[bytes]] | None:
    """(major brand, compatible brands) of an ISO BMFF ``ftyp`` box at the start, or None."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    box_size = struct.unpack(">L", head[:4])[0]
    if box_size < 16 or box_size > 4096:
        return None
    end = min(box_size, len(head))
    compatible = [head[i : i + 4] for i in range(16, end - 3, 4)]
    return head[8:12], compatible


def _accepted(head: bytes) -> DocumentType | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(_PNG):
        return PNG
    if _is_bmp(head):
        return BMP
    brands = _ftyp_brands(head)
    if brands is not None:
        major, compatible = brands
        if major in MP4_BRANDS:
            return MP4
        if major[:3] in (b"3gp", b"3g2", b"qt ", b"M4A", b"M4B", b"hei", b"mif", b"avi", b"crx"):
            return None
        if any(brand in MP4_BRANDS for brand in compatible):
            return MP4
    return None


def _markup_kind(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()[:1024]
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "svg"
    html_starts = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<meta", b"<!--")
    if text.startswith(html_starts) or (text.startswith(b"<?xml") and b"<html" in text):
        return "html"
    if text.startswith(b"<?xml"):
        return "xml"
    return ""


#: What a kind of file is called in sentences ("This file looks like a PNG image"), by the
#: language-neutral key :func:`content_kind` returns.
_KIND_LABELS = {
    "pdf": gettext_lazy("a PDF document"),
    "jpeg": gettext_lazy("a JPEG image"),
    "png": gettext_lazy("a PNG image"),
    "bmp": gettext_lazy("a BMP image"),
    "mp4": gettext_lazy("an MP4 video"),
    "dicom": gettext_lazy("a DICOM image"),
    "zip": gettext_lazy("a ZIP archive"),
    "windows_program": gettext_lazy("a Windows program"),
    "linux_program": gettext_lazy("a Linux program"),
    "macos_program": gettext_lazy("a macOS program"),
    "script": gettext_lazy("a script"),
    "gif": gettext_lazy("a GIF image"),
    "tiff": gettext_lazy("a TIFF image"),
    "rar": gettext_lazy("a RAR archive"),
    "7z": gettext_lazy("a 7-Zip archive"),
    "gzip": gettext_lazy("a gzip archive"),
    "office": gettext_lazy("a Microsoft Office document"),
    "rtf": gettext_lazy("an RTF document"),
    "mp3": gettext_lazy("an MP3 audio file"),
    "webm": gettext_lazy("a WebM or MKV video"),
    "webp": gettext_lazy("a WebP image"),
    "wav": gettext_lazy("a WAV audio file"),
    "avi": gettext_lazy("an AVI video"),
    "3gp": gettext_lazy("a 3GP video"),
    "quicktime": gettext_lazy("a QuickTime movie"),
    "m4a": gettext_lazy("an M4A audio file"),
    "heic": gettext_lazy("an HEIC image"),
    "iso_media": gettext_lazy("an ISO media file"),
    "svg": gettext_lazy("an SVG image"),
    "html": gettext_lazy("an HTML web page"),
    "xml": gettext_lazy("an XML file"),
}

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"PK\x07\x08", "zip"),
    (b"MZ", "windows_program"),
    (b"\x7fELF", "linux_program"),
    (b"\xcf\xfa\xed\xfe", "macos_program"),
    (b"\xce\xfa\xed\xfe", "macos_program"),
    (b"\xca\xfe\xba\xbe", "macos_program"),
    (b"#!", "script"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b", "gzip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "office"),
    (b"{\\rtf", "rtf"),
    (b"ID3", "mp3"),
    (b"\x1a\x45\xdf\xa3", "webm"),
)


def content_kind(head: bytes) -> str:
    """What the first bytes of a file look like, as a key ("png", "html"…) of
    :func:`kind_label`; "" when unknown. Keys never change, so they can be stored."""
    accepted = _accepted(head)
    if accepted is not None:
        return accepted.kind
    if len(head) >= 132 and head[128:132] == b"DICM":
        return "dicom"
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"WEBP": "webp", b"WAVE": "wav", b"AVI ": "avi"}.get(head[8:12], "")
    brands = _ftyp_brands(head)
    if brands is not None:
        major = brands[0]
        if major[:3] in (b"3gp", b"3g2"):
            return "3gp"
        if major == b"qt  ":
            return "quicktime"
        if major[:3] in (b"M4A", b"M4B"):
            return "m4a"
        if major[:3] in (b"hei", b"mif"):
            return "heic"
        return "iso_media"
    return _markup_kind(head)


def kind_label(kind: str) -> str:
    """A :func:`content_kind` key as words ("a PNG image") in the active language; "" for
    an unknown key."""
    label = _KIND_LABELS.get(kind)
    return str(label) if label is not None else ""


def describe_content(head: bytes) -> str:
    """What the first bytes of a file look like, as "a PNG image"; "" when unknown."""
    return kind_label(content_kind(head))


def detect_document(head: bytes) -> DocumentType:
    """The accepted type of a file that starts with ``head``; raise :class:`DocumentRefused`."""
    if not head:
        raise DocumentRefused(_("The file is empty."))
    accepted = _accepted(head)
    if accepted is not None:
        return accepted
    looks_like = describe_content(head)
    if looks_like:
        reason = _("Only PDF, JPEG, PNG, BMP and MP4 files can be attached. This file looks like %(kind)s.") % {
            "kind": looks_like
        }
    else:
        reason = _("Only PDF, JPEG, PNG, BMP and MP4 files can be attached. The type of this file was not recognised.")
    raise DocumentRefused(reason, looks_like)


def megabytes(size: int) -> str:
    """A limit in bytes as "500 MB" (limits are set in whole megabytes of 1024 × 1024 bytes)."""
    return _("%(n)s MB") % {"n": f"{size / (1024 * 1024):.0f}"}


def too_large(limit: int) -> DocumentRefused:
    """The refusal of a file larger than ``limit`` bytes."""
    return DocumentRefused(
        _("The file is larger than %(limit)s, the largest document an order accepts.") % {"limit": megabytes(limit)}
    )


def check_size(size: int, limit: int) -> None:
    """Raise :class:`DocumentRefused` for a file of ``size`` bytes over ``limit``."""
    if size > limit:
        raise too_large(limit)


def read_head(path: str | os.PathLike[str], size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of a file."""
    with open(path, "rb") as handle:
        return handle.read(size)


def check_document(path: str | os.PathLike[str]) -> DocumentType:
    """The accepted type of the file at ``path`` (only its first bytes are read)."""
    return detect_document(read_head(path))
