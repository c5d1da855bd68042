from __future__ import annotations

import io
import struct
import zipfile

import pytest

from postdicom.dicom.documents import (
    BMP,
    JPEG,
    MP4,
    PDF,
    PNG,
    DocumentRefused,
    check_document,
    describe_content,
    detect_document,
)
from tests.postdicom.dicom.test_sniff import png_bytes

REFUSAL = "Only PDF, JPEG, PNG, BMP and MP4 files can be attached. "


def bmp_bytes() -> bytes:
    """A real 1×1 24-bit BMP."""
    pixels = b"\x00\x00\xff\x00"  # one red pixel, row padded to 4 bytes
    info = struct.pack("<LllHHLLllLL", 40, 1, 1, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<LHHL", 14 + len(info) + len(pixels), 0, 0, 14 + len(info)) + info + pixels


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return struct.pack(">L", 8 + len(body)) + b"ftyp" + body + struct.pack(">L", 8) + b"mdat"


JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\xff\xd9"
PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF_BYTES, PDF),
        (JPEG_BYTES, JPEG),
        (png_bytes(), PNG),
        (bmp_bytes(), BMP),
        (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), MP4),
        (ftyp(b"mp42", b"mp42", b"isom"), MP4),
        (ftyp(b"M4V ", b"M4V ", b"mp42"), MP4),
        (ftyp(b"dash", b"iso6"), MP4),
        (ftyp(b"XAVC", b"XAVC", b"mp42"), MP4),  # unknown major brand, MP4-compatible
    ],
)
def test_accepted_documents(data, expected):
    assert detect_document(data) == expected


def test_canonical_types():
    assert (PDF.content_type, PDF.extension) == ("application/pdf", ".pdf")
    assert (JPEG.content_type, JPEG.extension) == ("image/jpeg", ".jpg")
    assert (PNG.content_type, BMP.content_type, MP4.content_type) == ("image/png", "image/bmp", "video/mp4")


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("a.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "an HTML web page"),
        (b"\xef\xbb\xbf  <html><body>x</body></html>", "an HTML web page"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "an SVG image"),
        (b"<svg onload='x'></svg>", "an SVG image"),
        (_zip_bytes(), "a ZIP archive"),
        (b"MZ\x90\x00" + b"\x00" * 60, "a Windows program"),
        (b"\x7fELF\x02\x01\x01", "a Linux program"),
        (b"GIF89a\x01\x00\x01\x00", "a GIF image"),
        (ftyp(b"qt  ", b"qt  "), "a QuickTime movie"),
        (ftyp(b"3gp4", b"isom"), "a 3GP video"),
        (ftyp(b"M4A ", b"M4A ", b"mp42"), "an M4A audio file"),
        (ftyp(b"heic", b"mif1", b"heic"), "an HEIC image"),
        (b"BM" + b"\x00" * 40, ""),  # "BM" alone is not a BMP
    ],
)
def test_refused_documents_name_what_they_look_like(data, kind):
    with pytest.raises(DocumentRefused) as caught:
        detect_document(data)
    assert caught.value.looks_like == kind
    if kind:
        assert caught.value.reason == REFUSAL + f"This file looks like {kind}."
    else:
        assert caught.value.reason == REFUSAL + "The type of this file was not recognised."


def test_dicom_is_named(ct_small):
    with pytest.raises(DocumentRefused) as caught:
        check_document(ct_small)
    assert caught.value.looks_like == "a DICOM image"


def test_empty_file_is_refused(tmp_path):
    empty = tmp_path / "scan.pdf"
    empty.write_bytes(b"")
    with pytest.raises(DocumentRefused) as caught:
        check_document(empty)
    assert caught.value.reason == "The file is empty."


def test_content_wins_over_the_name(tmp_path):
    liar = tmp_path / "report.pdf"
    liar.write_bytes(png_bytes())
    assert check_document(liar) == PNG
    page = tmp_path / "photo.jpg"
    page.write_bytes(b"<html><body>not a photo</body></html>")
    with pytest.raises(DocumentRefused):
        check_document(page)


def test_describe_content_of_unknown_bytes_is_empty():
    assert describe_content(b"\x00\x01\x02\x03 just bytes") == ""
