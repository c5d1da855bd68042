from __future__ import annotations

import shutil
import struct
import zlib

from pydicom.dataset import Dataset
from pydicom.filewriter import dcmwrite

from postdicom.dicom.layout import EXPLICIT_BE, EXPLICIT_LE
from postdicom.dicom.problems import ProblemCode
from postdicom.dicom.sniff import HEAD_FOR_ZIP, FileKind, is_zip_head, sniff
from tests.postdicom.dicom.conftest import data_file, make_image


def png_bytes() -> bytes:
    """A real 1×1 grey PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">L", len(body)) + kind + body + struct.pack(">L", zlib.crc32(kind + body))

    header = struct.pack(">LLBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b"")
    )


def test_part10_file_is_dicom_from_its_meta(ct_small):
    found = sniff(ct_small)
    assert found.kind is FileKind.DICOM
    assert found.is_dicom
    assert found.start is not None
    assert found.start.has_preamble
    assert found.start.has_meta
    assert found.start.transfer_syntax == EXPLICIT_LE
    assert found.layout is None  # a Part 10 file is recognised from its meta alone


def test_file_without_preamble_or_meta_is_dicom_when_it_names_an_instance():
    found = sniff(data_file("no_meta.dcm"))
    assert found.is_dicom
    assert found.start is not None
    assert not found.start.has_meta
    assert found.start.offset == 1  # pydicom's no_meta.dcm starts with one stray byte


def test_big_endian_file_without_meta_is_recognised():
    found = sniff(data_file("ExplVR_BigEndNoMeta.dcm"))
    assert found.is_dicom
    assert found.start is not None
    assert found.start.transfer_syntax == EXPLICIT_BE


def test_dicomdir_is_recognised_by_content_so_it_can_be_skipped(tmp_path):
    copy = tmp_path / "index.dcm"
    shutil.copy(data_file("DICOMDIR"), copy)
    found = sniff(copy)
    assert found.kind is FileKind.DICOMDIR
    assert found.code is ProblemCode.DICOMDIR
    assert "DICOMDIR" in found.reason


def test_empty_file_is_refused(tmp_path):
    empty = tmp_path / "empty.dcm"
    empty.write_bytes(b"")
    found = sniff(empty)
    assert found.kind is FileKind.REFUSED
    assert found.code is ProblemCode.EMPTY
    assert found.reason == "The file is empty."


def test_png_named_dcm_is_not_dicom_and_says_what_it_looks_like(tmp_path):
    liar = tmp_path / "x.dcm"
    liar.write_bytes(png_bytes())
    found = sniff(liar)
    assert found.code is ProblemCode.NOT_DICOM
    assert found.reason == "This is not a DICOM file (it looks like a PNG image)."


def test_text_and_gzip_files_are_not_dicom(tmp_path):
    text = tmp_path / "notes.dcm"
    text.write_text("This is not a DICOM file!\n" * 20)
    assert sniff(text).reason == "This is not a DICOM file."
    gzipped = sniff(data_file("zipMR.gz"))
    assert gzipped.code is ProblemCode.NOT_DICOM
    assert "gzip" in gzipped.reason


def test_file_cut_inside_its_meta_is_truncated(tmp_path, ct_small):
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(ct_small.read_bytes()[:150])
    found = sniff(cut)
    assert found.code is ProblemCode.TRUNCATED
    assert found.reason.startswith("The file is incomplete: it ends before its last element.")


def test_headerless_data_set_without_uids_is_not_dicom(tmp_path):
    ds = Dataset()
    ds.PatientName = "Nobody^Really"
    ds.PatientID = "X"
    bare = tmp_path / "bare.dcm"
    dcmwrite(bare, ds, implicit_vr=False, little_endian=True)
    assert bare.read_bytes()[128:132] != b"DICM"
    assert sniff(bare).code is ProblemCode.NOT_DICOM


def test_missing_or_unreadable_path_is_refused(tmp_path):
    assert sniff(tmp_path / "gone.dcm").code is ProblemCode.UNREADABLE
    assert sniff(tmp_path).code is ProblemCode.UNREADABLE


def test_part10_file_without_preamble_is_dicom(tmp_path):
    whole = make_image(tmp_path / "full.dcm").read_bytes()
    bare = tmp_path / "nopreamble.dcm"
    bare.write_bytes(whole[132:])  # starts at the (0002,0000) group length
    found = sniff(bare)
    assert found.is_dicom
    assert found.start is not None
    assert found.start.has_meta
    assert not found.start.has_preamble


def test_a_preamble_starting_like_a_zip_is_still_dicom(tmp_path, ct_small):
    """Issue 9 item 10: the preamble is free-form; ``DICM`` at offset 128 decides."""
    data = b"PK\x03\x04" + ct_small.read_bytes()[4:]
    path = tmp_path / "pk.dcm"
    path.write_bytes(data)
    assert sniff(path).is_dicom
    assert not is_zip_head(data[:HEAD_FOR_ZIP])
    assert is_zip_head(b"PK\x03\x04" + bytes(200))
    assert is_zip_head(b"PK\x05\x06" + bytes(18))  # an empty archive, shorter than 132 bytes
