"""A DICOMDIR (PS3.10 §8, PS3.3 Annex F) for images whose details are already known.

``build`` takes the patients, studies, series and images of a file-set (from the index, not
from the files: the DICOMDIR is written before any image is read) and returns the DICOMDIR's
bytes; ``file_id`` gives every image its PS3.10 file ID. The records are written depth first
(a patient, its first study, that study's first series, its images, the next series, …), each
pointing at its next sibling and its first child by byte offset from the start of the file,
as readers such as pydicom's ``FileSet`` expect.

File IDs are at most 8 components of at most 8 characters from ``A-Z 0-9 _`` (PS3.10
§8.2, §8.5): ``DICOM/P0000001/S0000001/SE000001/I0000001``. Text with characters outside
ASCII (a Greek or Japanese patient name) makes its record declare ``ISO_IR 192`` (UTF-8).

What the index does not hold is filled the way CD writers do, so the records carry their
Type 1 values: Study ID is the study's number in the file-set and Instance Number the
image's position in its series (in the order stored). Every instance is recorded as an
IMAGE record (the index does not hold the attributes other record types require).
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

#: Media Storage Directory Storage, the SOP class of a DICOMDIR.
MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"
#: The folder the images live in, next to the DICOMDIR.
ROOT = "DICOM"

_ITEM = struct.pack("<HH", 0xFFFE, 0xE000)
_SEQUENCE_END = struct.pack("<HHL", 0xFFFE, 0xE0DD, 0)
_UNDEFINED = 0xFFFFFFFF


@dataclass
class Image:
    sop_instance_uid: str
    sop_class_uid: str
    transfer_syntax_uid: str


@dataclass
class Series:
    series_uid: str
    modality: str
    number: int | None
    images: list[Image] = field(default_factory=list)


@dataclass
class Study:
    study_uid: str
    date: dt.date | None
    time: dt.time | None
    description: str
    accession_number: str
    series: list[Series] = field(default_factory=list)


@dataclass
class Patient:
    patient_id: str
    name: str  # as in the files: LAST^FIRST, "=" groups
    birth_date: dt.date | None
    sex: str
    studies: list[Study] = field(default_factory=list)


def file_id(patient: int, study: int, series: int, image: int) -> tuple[str, ...]:
    """The file ID components of an image, each number counting from 1 within its parent."""
    return (ROOT, f"P{patient:07d}", f"S{study:07d}", f"SE{series:06d}", f"I{image:07d}")


def _text_record(record: Dataset, kind: str) -> Dataset:
    record.OffsetOfTheNextDirectoryRecord = 0
    record.RecordInUseFlag = 0xFFFF
    record.OffsetOfReferencedLowerLevelDirectoryEntity = 0
    record.DirectoryRecordType = kind
    return record


def _utf8_if_needed(record: Dataset, *texts: str) -> None:
    if any(not text.isascii() for text in texts):
        record.SpecificCharacterSet = "ISO_IR 192"


def _patient(patient: Patient) -> Dataset:
    record = _text_record(Dataset(), "PATIENT")
    _utf8_if_needed(record, patient.name, patient.patient_id)
    record.PatientName = patient.name
    record.PatientID = patient.patient_id
    if patient.birth_date is not None:
        record.PatientBirthDate = patient.birth_date.strftime("%Y%m%d")
    if patient.sex:
        record.PatientSex = patient.sex
    return record


def _study(study: Study, number: int) -> Dataset:
    record = _text_record(Dataset(), "STUDY")
    _utf8_if_needed(record, study.description, study.accession_number)
    record.StudyDate = study.date.strftime("%Y%m%d") if study.date else ""
    record.StudyTime = study.time.strftime("%H%M%S") if study.time else ""
    record.StudyDescription = study.description
    record.StudyInstanceUID = study.study_uid
    record.StudyID = str(number)
    record.AccessionNumber = study.accession_number
    return record


def _series(series: Series, number: int) -> Dataset:
    record = _text_record(Dataset(), "SERIES")
    record.Modality = series.modality or "OT"
    record.SeriesInstanceUID = series.series_uid
    record.SeriesNumber = series.number if series.number is not None else number
    return record


def _image(image: Image, number: int, path: tuple[str, ...]) -> Dataset:
    record = _text_record(Dataset(), "IMAGE")
    record.ReferencedFileID = list(path)
    record.ReferencedSOPClassUIDInFile = image.sop_class_uid
    record.ReferencedSOPInstanceUIDInFile = image.sop_instance_uid
    record.ReferencedTransferSyntaxUIDInFile = image.transfer_syntax_uid or ExplicitVRLittleEndian
    record.InstanceNumber = number
    return record


@dataclass
class _Node:
    record: Dataset
    children: list[_Node] = field(default_factory=list)


def _tree(patients: Sequence[Patient]) -> list[_Node]:
    roots: list[_Node] = []
    study_number = 0
    for p, patient in enumerate(patients, 1):
        patient_node = _Node(_patient(patient))
        roots.append(patient_node)
        for s, study in enumerate(patient.studies, 1):
            study_number += 1
            study_node = _Node(_study(study, study_number))
            patient_node.children.append(study_node)
            for e, series in enumerate(study.series, 1):
                series_node = _Node(_series(series, e))
                study_node.children.append(series_node)
                for i, image in enumerate(series.images, 1):
                    series_node.children.append(_Node(_image(image, i, file_id(p, s, e, i))))
    return roots


def _flatten(nodes: list[_Node]) -> list[_Node]:
    """Depth first: each node, then its children's subtrees."""
    ordered: list[_Node] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(node.children))
    return ordered


def _encode(record: Dataset) -> bytes:
    out = DicomBytesIO()
    out.is_little_endian = True
    out.is_implicit_VR = False
    write_dataset(out, record)
    return out.getvalue()


def _head(uid: str, first: int, last: int) -> bytes:
    """Preamble, file meta information and the elements before the record sequence."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(MEDIA_STORAGE_DIRECTORY)
    meta.MediaStorageSOPInstanceUID = UID(uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    out = DicomBytesIO()
    out.is_little_endian = True
    out.is_implicit_VR = False
    out.write(b"\x00" * 128 + b"DICM")
    write_file_meta_info(out, meta, enforce_standard=True)
    top = Dataset()
    top.FileSetID = "RAYPORT"
    top.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = first
    top.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = last
    top.FileSetConsistencyFlag = 0
    write_dataset(out, top)
    # (0004,1220) Directory Record Sequence, explicit VR, undefined length
    out.write(struct.pack("<HH2sHL", 0x0004, 0x1220, b"SQ", 0, _UNDEFINED))
    return out.getvalue()


def build(patients: Sequence[Patient]) -> bytes:
    """The DICOMDIR of ``patients`` (whose images are at ``file_id`` of their positions)."""
    roots = _tree(patients)
    ordered = _flatten(roots)
    # Offsets are fixed-size (UL) values: every record's length is known before they are set.
    uid = generate_uid()
    header_length = len(_head(uid, 0, 0))
    position = header_length
    where: dict[int, int] = {}
    for node in ordered:
        where[id(node)] = position
        position += len(_ITEM) + 4 + len(_encode(node.record))

    def link(siblings: list[_Node]) -> None:
        for index, node in enumerate(siblings):
            following = siblings[index + 1] if index + 1 < len(siblings) else None
            node.record.OffsetOfTheNextDirectoryRecord = where[id(following)] if following else 0
            node.record.OffsetOfReferencedLowerLevelDirectoryEntity = (
                where[id(node.children[0])] if node.children else 0
            )
            link(node.children)

    link(roots)
    parts = [_head(uid, where[id(roots[0])] if roots else 0, where[id(roots[-1])] if roots else 0)]
    for node in ordered:
        body = _encode(node.record)
        parts.append(_ITEM + struct.pack("<L", len(body)) + body)
    parts.append(_SEQUENCE_END)
    return b"".join(parts)
