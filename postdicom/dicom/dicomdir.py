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


# A record is a handful of short elements, written here directly (explicit VR little endian:
# tag, VR, 2-byte length, value padded to an even length) rather than through pydicom's
# ``Dataset``, which cost about 3 ms a record: a DICOMDIR of thousands of images is made before
# the first byte of the download goes out. Each record lists its elements in tag order.
_Element = tuple[int, int, bytes, "str | int"]


def _value(vr: bytes, value: str | int, encoding: str) -> bytes:
    if vr == b"UL":
        return struct.pack("<L", int(value))
    if vr == b"US":
        return struct.pack("<H", int(value))
    data = str(value).encode(encoding)
    if len(data) % 2:
        data += b"\x00" if vr == b"UI" else b" "
    return data


def _record(kind: str, elements: list[_Element]) -> bytes:
    texts = [str(v) for _g, _e, vr, v in elements if vr in (b"PN", b"LO", b"SH")]
    utf8 = any(not text.isascii() for text in texts)
    head: list[_Element] = [
        (0x0004, 0x1400, b"UL", 0),  # OffsetOfTheNextDirectoryRecord
        (0x0004, 0x1410, b"US", 0xFFFF),  # RecordInUseFlag
        (0x0004, 0x1420, b"UL", 0),  # OffsetOfReferencedLowerLevelDirectoryEntity
        (0x0004, 0x1430, b"CS", kind),  # DirectoryRecordType
    ]
    rest = [(0x0008, 0x0005, b"CS", "ISO_IR 192"), *elements] if utf8 else elements
    out = bytearray()
    for group, element, vr, value in head + sorted(rest, key=lambda e: (e[0], e[1])):
        data = _value(vr, value, "utf-8" if utf8 else "ascii")
        out += struct.pack("<HH2sH", group, element, vr, len(data)) + data
    return bytes(out)


def _patient(patient: Patient) -> bytes:
    elements: list[_Element] = [(0x0010, 0x0010, b"PN", patient.name), (0x0010, 0x0020, b"LO", patient.patient_id)]
    if patient.birth_date is not None:
        elements.append((0x0010, 0x0030, b"DA", patient.birth_date.strftime("%Y%m%d")))
    if patient.sex:
        elements.append((0x0010, 0x0040, b"CS", patient.sex))
    return _record("PATIENT", elements)


def _study(study: Study, number: int) -> bytes:
    return _record(
        "STUDY",
        [
            (0x0008, 0x0020, b"DA", study.date.strftime("%Y%m%d") if study.date else ""),
            (0x0008, 0x0030, b"TM", study.time.strftime("%H%M%S") if study.time else ""),
            (0x0008, 0x0050, b"SH", study.accession_number),
            (0x0008, 0x1030, b"LO", study.description),
            (0x0020, 0x000D, b"UI", study.study_uid),
            (0x0020, 0x0010, b"SH", str(number)),  # Study ID
        ],
    )


def _series(series: Series, number: int) -> bytes:
    return _record(
        "SERIES",
        [
            (0x0008, 0x0060, b"CS", series.modality or "OT"),
            (0x0020, 0x000E, b"UI", series.series_uid),
            (0x0020, 0x0011, b"IS", series.number if series.number is not None else number),
        ],
    )


def _image(image: Image, number: int, path: tuple[str, ...]) -> bytes:
    return _record(
        "IMAGE",
        [
            (0x0004, 0x1500, b"CS", "\\".join(path)),  # ReferencedFileID
            (0x0004, 0x1510, b"UI", image.sop_class_uid),
            (0x0004, 0x1511, b"UI", image.sop_instance_uid),
            (0x0004, 0x1512, b"UI", image.transfer_syntax_uid or ExplicitVRLittleEndian),
            (0x0020, 0x0013, b"IS", number),  # Instance Number
        ],
    )


@dataclass
class _Node:
    record: bytes
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


#: Where a record's two offsets sit in its encoding: (0004,1400) UL is its first element, then
#: (0004,1410) US, then (0004,1420) UL (explicit VR little endian: 8-byte element headers).
_NEXT_AT = 8
_LOWER_AT = 8 + 4 + 8 + 2 + 8


def _patch(body: bytearray, at: int, tag: int, value: int) -> None:
    assert struct.unpack_from("<HH", body, at - 8) == (0x0004, tag), "record layout changed"
    struct.pack_into("<L", body, at, value)


def build(patients: Sequence[Patient]) -> bytes:
    """The DICOMDIR of ``patients`` (whose images are at ``file_id`` of their positions)."""
    roots = _tree(patients)
    ordered = _flatten(roots)
    # Records are encoded with zero offsets; the offsets are fixed-size (UL) values, written
    # into the encoded bytes once every record's position is known.
    uid = generate_uid()
    bodies = [bytearray(node.record) for node in ordered]
    where: dict[int, int] = {}
    position = len(_head(uid, 0, 0))
    for node, body in zip(ordered, bodies, strict=True):
        where[id(node)] = position
        position += len(_ITEM) + 4 + len(body)
    index = {id(node): n for n, node in enumerate(ordered)}

    def link(siblings: list[_Node]) -> None:
        for n, node in enumerate(siblings):
            body = bodies[index[id(node)]]
            following = siblings[n + 1] if n + 1 < len(siblings) else None
            _patch(body, _NEXT_AT, 0x1400, where[id(following)] if following else 0)
            _patch(body, _LOWER_AT, 0x1420, where[id(node.children[0])] if node.children else 0)
            link(node.children)

    link(roots)
    parts = [_head(uid, where[id(roots[0])] if roots else 0, where[id(roots[-1])] if roots else 0)]
    for body in bodies:
        parts.append(_ITEM + struct.pack("<L", len(body)) + bytes(body))
    parts.append(_SEQUENCE_END)
    return b"".join(parts)
