"""Real files for the upload tests: pydicom's shipped data (walked on disk, never downloaded)
and small images, ZIPs and documents made on the spot."""

from __future__ import annotations

import shutil
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import dcmwrite
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

PYDICOM_DATA = Path(pydicom.data.__file__).resolve().parent  # as pydicom names its files (.venv may be a link)
TEST_FILES = PYDICOM_DATA / "test_files"
CHARSET_FILES = PYDICOM_DATA / "charset_files"


def shipped(name: str) -> Path:
    for root in (TEST_FILES, CHARSET_FILES):
        found = sorted(root.rglob(name))
        if found:
            return found[0]
    raise AssertionError(f"pydicom does not ship {name}")


def shipped_files() -> list[Path]:
    return sorted(p for root in (TEST_FILES, CHARSET_FILES) for p in root.rglob("*") if p.is_file())


#: Files pydicom ships on purpose broken: the upload must refuse them, with a reason.
BROKEN = {
    "MR_truncated.dcm": "is incomplete",
    "rtplan_truncated.dcm": "is incomplete",
    "badVR.dcm": "damaged",
}


def pydicom_reads(path: Path) -> Dataset | None:
    """The data set when pydicom reads the file as DICOM with the three UIDs, else None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            uids = [
                str(ds.get(k, "") or "").strip() for k in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")
            ]
    except Exception:
        return None
    if "DirectoryRecordSequence" in ds or not all(uids):
        return None
    return ds


def make_image(
    path: Path,
    *,
    patient_name: str = "Test^Patient",
    patient_id: str = "PID-1",
    study_uid: str | None = None,
    series_uid: str | None = None,
    sop_uid: str | None = None,
    accession: str = "",
    modality: str = "CT",
    rows: int = 4,
    columns: int = 4,
    study_description: str = "Chest",
) -> Path:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.2")
    meta.MediaStorageSOPInstanceUID = UID(sop_uid) if sop_uid else generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    ds.PatientBirthDate = "19800102"
    ds.PatientSex = "F"
    ds.StudyDate = "20261120"
    ds.StudyTime = "101500"
    ds.StudyDescription = study_description
    ds.AccessionNumber = accession
    ds.Modality = modality
    ds.SeriesNumber = 1
    ds.InstitutionName = "General Hospital"
    ds.ReferringPhysicianName = "Who^Doctor"
    ds.Rows, ds.Columns = rows, columns
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = b"\x01\x02" * (rows * columns)
    path.parent.mkdir(parents=True, exist_ok=True)
    dcmwrite(path, ds, enforce_file_format=True)
    return path


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
    return path


def make_zip_bomb(path: Path, size: int = 64 << 20) -> Path:
    """One member that inflates ~1000 times (zeros), written without holding it whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle, bundle.open("bomb.dcm", "w") as out:
        zero = bytes(1 << 20)
        for _ in range(size >> 20):
            out.write(zero)
    return path


def deep_sequences(path: Path, depth: int = 200) -> Path:
    """A valid-looking image whose sequences nest ``depth`` levels deep."""
    make_image(path)
    ds = pydicom.dcmread(path)
    inner = Dataset()
    inner.CodeValue = "X"
    for _ in range(depth):
        outer = Dataset()
        outer.ContentSequence = [inner]
        inner = outer
    ds.ContentSequence = [inner]
    ds.save_as(path, enforce_file_format=True)
    return path


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    )


def mp4_bytes() -> bytes:
    return struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomavc1" + bytes(64)


def copy_to(source: Path, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or source.name)
    shutil.copyfile(source, target)
    return target


def as_bytes(path: Path) -> bytes:
    return path.read_bytes()
