"""Real files for the pydicom helpers: pydicom's own test data, plus files made on the spot.

Only the files pydicom ships inside its package are used (``get_testdata_files`` lists those
and never downloads); nothing is fetched from the network.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_charset_files, get_testdata_files
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import dcmwrite
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

PYDICOM_DATA = Path(pydicom.data.__file__).resolve().parent  # .venv may be a link


def data_file(name: str) -> Path:
    """A file pydicom ships, by file name (test_files or charset_files)."""
    found = get_testdata_files(f"**/{name}") or get_charset_files(f"**/{name}")
    assert found, f"pydicom does not ship {name}"
    return Path(found[0])


def shipped_files() -> list[Path]:
    """Every regular file pydicom ships as test data (its own and the charset files)."""
    return sorted(Path(f) for f in get_testdata_files() + get_charset_files() if Path(f).is_file())


def label(path: Path) -> str:
    return str(path.resolve().relative_to(PYDICOM_DATA))


def pydicom_reads(path: Path, *, force: bool = False) -> Dataset | None:
    """What pydicom itself makes of a file (None when it refuses it)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pydicom.dcmread(path, force=force)
    except Exception:
        return None


def make_image(
    path: Path,
    *,
    study_uid: str | None = None,
    series_uid: str | None = None,
    sop_uid: str | None = None,
    modality: str = "CT",
    pixels: bytes | None = b"\x01\x02" * 16,
    implicit: bool = False,
    extra: dict[str, object] | None = None,
) -> Path:
    """Write a small, valid Part 10 image (4×4, 16-bit) with the given UIDs."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = sop_uid or generate_uid()
    ds.StudyDate = "20240115"
    ds.SeriesDate = "20240115"
    ds.StudyTime = "101500"
    ds.AccessionNumber = "ACC123"
    ds.Modality = modality
    ds.InstitutionName = "Clinica Central"
    ds.ReferringPhysicianName = "House^Gregory"
    ds.StudyDescription = "Chest"
    ds.SeriesDescription = "Axial"
    ds.PatientName = "Doe^Jane^Q"
    ds.PatientID = "PID-1"
    ds.PatientBirthDate = "19800229"
    ds.PatientSex = "F"
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.StudyID = "S1"
    ds.SeriesNumber = 3
    ds.InstanceNumber = 1
    for keyword, value in (extra or {}).items():
        setattr(ds, keyword, value)
    if pixels is not None:
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows = 4
        ds.Columns = 4
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 0
        ds.PixelData = pixels
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    dcmwrite(path, ds, enforce_file_format=True)
    return path


def nested_sequence_bytes(depth: int) -> bytes:
    """An implicit-VR LE Content Sequence nested ``depth`` levels, undefined lengths throughout."""
    sequence = struct.pack("<HHL", 0x0040, 0xA730, 0xFFFFFFFF)
    item = struct.pack("<HHL", 0xFFFE, 0xE000, 0xFFFFFFFF)
    item_end = struct.pack("<HHL", 0xFFFE, 0xE00D, 0)
    sequence_end = struct.pack("<HHL", 0xFFFE, 0xE0DD, 0)
    leaf = struct.pack("<HHL", 0x0040, 0xA010, 8) + b"CONTAINS"
    return (sequence + item) * depth + leaf + (item_end + sequence_end) * depth


def make_nested(path: Path, depth: int) -> Path:
    """A valid implicit-VR header-only instance whose last element nests ``depth`` levels."""
    make_image(path, pixels=None, implicit=True)
    with path.open("ab") as handle:
        handle.write(nested_sequence_bytes(depth))
    return path


@pytest.fixture
def ct_small() -> Path:
    return data_file("CT_small.dcm")


def make_large(path: Path, pixel_bytes: int, *, sparse: bool) -> Path:
    """An explicit-VR LE image whose OW Pixel Data is ``pixel_bytes`` long, written without
    holding it in memory: sparse (a hole, instant) or filled with a repeating pattern."""
    assert pixel_bytes % 2 == 0
    make_image(path, pixels=None, extra={"Rows": 1024, "Columns": 1024, "BitsAllocated": 16})
    with path.open("r+b") as handle:
        handle.seek(0, 2)
        handle.write(struct.pack("<HH", 0x7FE0, 0x0010) + b"OW\x00\x00" + struct.pack("<L", pixel_bytes))
        if sparse:
            handle.truncate(handle.tell() + pixel_bytes)
        else:
            block = bytes(range(256)) * 4096  # 1 MiB
            left = pixel_bytes
            while left:
                left -= handle.write(block[: min(len(block), left)])
    return path
