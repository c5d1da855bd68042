"""Anonymization of DICOM instances: PostDICOM's replacement values and the PS3.15 Basic Profile.

Two things a user can ask for (``postdicom.types.Anonymization``), both optional:

(a) **Replacement values** for PostDICOM's tag list, validated per VR and cut to the VR's
    maximum length like PostDICOM does (:mod:`postdicom.dicom.replacements`).

(b) **Full de-identification**: the Basic Application Level Confidentiality Profile of PS3.15
    Annex E with the Retain Longitudinal Temporal Information with Modified Dates option
    (table: :mod:`postdicom.dicom.profile`; walk: :mod:`postdicom.dicom.deidentify`); UIDs are
    remapped consistently within the upload by its :class:`~postdicom.dicom.uids.UidMap`.

When both are asked for, (a) applies after (b). Either way the report warns when an image
may have patient details burned into its pixels (BurnedInAnnotation YES, or not stated for a
modality that often burns them in): nothing here can clean pixels.

:func:`anonymize` changes a pydicom data set in place. :func:`anonymize_file` streams one file
to a new file: it reads the header, anonymizes it, writes it, then copies the pixel data
element byte for byte in 1 MiB chunks, so a multi-GB file never sits in memory; it never
copies the original anywhere (the caller deletes it).
"""

from __future__ import annotations

import contextlib
import os
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

from pydicom import charset as dicom_charset
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomFileLike
from pydicom.filereader import read_dataset
from pydicom.filewriter import dcmwrite, write_dataset
from pydicom.multival import MultiValue
from pydicom.uid import UID

from postdicom.dicom import problems
from postdicom.dicom.deidentify import (
    ProfileCounts,
    apply_basic_profile,
    apply_basic_profile_to_meta,
    mark_deidentified,
)
from postdicom.dicom.layout import MAX_DEPTH, Layout
from postdicom.dicom.problems import DicomProblem, DicomWarning, WarningCode
from postdicom.dicom.read import Header, read_header, summary_of
from postdicom.dicom.replacements import apply_replacements, validate_replacements
from postdicom.dicom.sniff import sniff_open
from postdicom.dicom.uids import UidMap
from postdicom.errors import InvalidInput
from postdicom.types import Anonymization

StrPath = str | os.PathLike[str]

COPY_CHUNK = 1 << 20


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, MultiValue | list | tuple):
        return list(value)
    return [value]


# --- the report --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnonymizationReport:
    """What :func:`anonymize` did to one instance."""

    sop_instance_uid: str  # the values after anonymization, for the index
    study_instance_uid: str
    series_instance_uid: str
    profile_applied: bool
    replaced: tuple[str, ...]  # keywords given replacement values
    removed: int = 0
    emptied: int = 0
    dummied: int = 0
    remapped_uids: int = 0
    shifted_dates: int = 0
    date_offset_days: int | None = None
    burned_in_risk: bool = False
    warnings: tuple[DicomWarning, ...] = ()


# --- burned-in annotation ----------------------------------------------------------------------------

#: Modalities whose images often carry patient details in the pixels.
BURN_IN_MODALITIES = frozenset({"US", "IVUS", "SC", "XA", "RF", "ES", "XC", "OT", "GM", "SM", "OP", "DOC", "ECG"})
SECONDARY_CAPTURE_PREFIX = "1.2.840.10008.5.1.4.1.1.7"


def burned_in_warning(dataset: Dataset) -> DicomWarning | None:
    """A warning when the pixels may show patient details, else None."""
    stated = str(dataset.get("BurnedInAnnotation", "") or "").strip().upper()
    modality = str(dataset.get("Modality", "") or "").strip().upper()
    sop_class = str(dataset.get("SOPClassUID", "") or "")
    if stated == "YES":
        return DicomWarning.of(WarningCode.BURNED_IN)
    if stated != "NO" and (modality in BURN_IN_MODALITIES or sop_class.startswith(SECONDARY_CAPTURE_PREFIX)):
        return DicomWarning.of(WarningCode.BURNED_IN_UNSTATED, modality=modality)
    return None


# --- the entry points --------------------------------------------------------------------------------


def _uid(dataset: Dataset, keyword: str) -> str:
    return str(dataset.get(keyword, "") or "").strip()


def anonymize(
    dataset: Dataset,
    request: Anonymization,
    uid_map: UidMap | None = None,
    *,
    file_meta: Dataset | None = None,
) -> AnonymizationReport:
    """Anonymize ``dataset`` in place (and ``file_meta``, by default ``dataset.file_meta``).

    ``uid_map`` is required for the basic profile: keep one per upload. Raises ``InvalidInput``
    for bad replacement values.
    """
    replacements = validate_replacements(request.replacements)
    if request.basic_profile and uid_map is None:
        raise ValueError("the basic profile needs the upload's UidMap")
    warning = burned_in_warning(dataset)
    counts = ProfileCounts()
    meta = file_meta if file_meta is not None else getattr(dataset, "file_meta", None)
    offset: int | None = None
    if request.basic_profile:
        assert uid_map is not None
        offset = uid_map.date_offset_days
        apply_basic_profile(dataset, uid_map, counts)
        if meta is not None:
            apply_basic_profile_to_meta(meta, uid_map, counts)
        mark_deidentified(dataset)
    if replacements:
        apply_replacements(dataset, replacements)
    if meta is not None and "SOPInstanceUID" in dataset:
        meta.MediaStorageSOPInstanceUID = _uid(dataset, "SOPInstanceUID")
    return AnonymizationReport(
        sop_instance_uid=_uid(dataset, "SOPInstanceUID"),
        study_instance_uid=_uid(dataset, "StudyInstanceUID"),
        series_instance_uid=_uid(dataset, "SeriesInstanceUID"),
        profile_applied=request.basic_profile,
        replaced=tuple(replacements),
        removed=counts.removed,
        emptied=counts.emptied,
        dummied=counts.dummied,
        remapped_uids=counts.remapped_uids,
        shifted_dates=counts.shifted_dates,
        date_offset_days=offset,
        burned_in_risk=warning is not None,
        warnings=(warning,) if warning is not None else (),
    )


def _read_tail(fp: BinaryIO, header: Header) -> Dataset:
    """The top-level elements after the pixel data (usually none), read with pydicom."""
    layout = header.layout
    if layout.pixel_end is None or layout.pixel_end >= layout.file_size:
        return Dataset()
    fp.seek(layout.pixel_end)
    try:
        return read_dataset(
            fp,
            layout.encoding.implicit_vr,
            layout.encoding.little_endian,
            bytelength=layout.file_size - layout.pixel_end,
            parent_encoding=_charset(header.dataset),
        )
    except RecursionError:
        raise problems.too_deep(MAX_DEPTH) from None
    except Exception as error:
        raise problems.damaged() from error


def _output_syntax(layout: Layout) -> tuple[str, bool, bool]:
    """(transfer syntax, implicit VR, little endian) to write; the pixel bytes stay valid in it.

    The syntax of the meta, unless the data set contradicts its byte order (then the data set's
    own encoding, as an uncompressed syntax). A data set in implicit VR under an explicit-VR
    syntax (pydicom reads those too) is written in the syntax's encoding: only the pixel
    element's header differs, and :func:`_pixel_header` writes it anew.
    """
    start = layout.start
    actual = layout.encoding
    if start.has_meta and start.transfer_syntax:
        declared = UID(start.transfer_syntax)
        if not declared.is_transfer_syntax:  # a private syntax: keep it, with the encoding found
            return start.transfer_syntax, actual.implicit_vr, actual.little_endian
        if declared.is_little_endian == actual.little_endian and not declared.is_deflated:
            return start.transfer_syntax, declared.is_implicit_VR, declared.is_little_endian
    if layout.pixel_encapsulated:  # compressed pixels, but no trustworthy syntax says how
        raise problems.damaged("compressed_without_syntax")
    return actual.transfer_syntax, actual.implicit_vr, actual.little_endian


def _pixel_header(layout: Layout, dataset: Dataset, implicit_vr: bool, little_endian: bool) -> bytes:
    """The Pixel Data element's tag, VR and length in the output encoding."""
    assert layout.pixel_tag is not None
    assert layout.pixel_value_start is not None
    assert layout.pixel_end is not None
    endian = "<" if little_endian else ">"
    length = 0xFFFFFFFF if layout.pixel_encapsulated else layout.pixel_end - layout.pixel_value_start
    tag = struct.pack(endian + "HH", layout.pixel_tag >> 16, layout.pixel_tag & 0xFFFF)
    if implicit_vr:
        return tag + struct.pack(endian + "L", length)
    vr = layout.pixel_vr
    if vr is None:
        if layout.pixel_tag == 0x7FE00008:
            vr = "OF"
        elif layout.pixel_tag == 0x7FE00009:
            vr = "OD"
        elif layout.pixel_encapsulated:
            vr = "OB"
        else:
            bits = dataset.get("BitsAllocated", 16) or 16
            vr = "OW" if int(bits) > 8 else "OB"
    return tag + vr.encode("ascii") + b"\x00\x00" + struct.pack(endian + "L", length)


def _charset(dataset: Dataset) -> str | list[str]:
    terms = [str(term) for term in _values(dataset.get("SpecificCharacterSet", ""))] or [""]
    return dicom_charset.convert_encodings(terms)


def _remove(path: StrPath) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _copy(source: BinaryIO, target: BinaryIO, start: int, end: int) -> None:
    source.seek(start)
    left = end - start
    while left > 0:
        chunk = source.read(min(COPY_CHUNK, left))
        if not chunk:
            raise problems.truncated()
        target.write(chunk)
        left -= len(chunk)


def anonymize_file(
    source: StrPath,
    target: StrPath,
    request: Anonymization,
    uid_map: UidMap | None = None,
) -> AnonymizationReport:
    """Write an anonymized copy of ``source`` to ``target`` (a new file); stream the pixel data.

    Raises :class:`~postdicom.dicom.problems.DicomProblem` for a file that is not usable DICOM
    (nothing is left at ``target`` then) and ``InvalidInput`` for bad replacement values.
    """
    validate_replacements(request.replacements)
    if request.basic_profile and uid_map is None:
        raise ValueError("the basic profile needs the upload's UidMap")
    with open(source, "rb") as fp:
        size = os.fstat(fp.fileno()).st_size
        header = read_header(fp, sniff_open(fp, size), defer=False)
        summary_of(header)  # refuse what the index would refuse (no UIDs, damaged values) first
        dataset = header.dataset
        tail = _read_tail(fp, header)
        for element in tail:
            dataset[element.tag] = element
        layout = header.layout
        syntax, implicit_vr, little_endian = (
            _output_syntax(layout) if layout.scanned else (layout.start.transfer_syntax, False, True)
        )
        meta = FileMetaDataset()
        for element in getattr(dataset, "file_meta", None) or []:
            meta[element.tag] = element
        for keyword in ("FileMetaInformationGroupLength", "ImplementationClassUID", "ImplementationVersionName"):
            if keyword in meta:  # pydicom writes the file now: it fills in its own
                del meta[keyword]
        try:
            report = anonymize(dataset, request, uid_map, file_meta=meta)
        except (DicomProblem, InvalidInput):
            raise
        except Exception as error:  # a value pydicom cannot convert or re-encode
            raise problems.damaged() from error
        meta.TransferSyntaxUID = UID(syntax)
        pixel_tag = layout.pixel_tag if layout.scanned else None
        head, after = Dataset(), Dataset()
        for base_tag in list(dataset.keys()):
            target_set = head if pixel_tag is None or int(base_tag) < pixel_tag else after
            target_set[base_tag] = dataset.get_item(base_tag)
        head.file_meta = meta
        head.preamble = b"\x00" * 128  # the original preamble may hold a TIFF header with names
        out = open(target, "xb")  # noqa: SIM115 - closed below; a file already there is not ours to remove
        try:
            with out:
                dcmwrite(out, head, implicit_vr=implicit_vr, little_endian=little_endian, enforce_file_format=True)
                if pixel_tag is not None:
                    assert layout.pixel_value_start is not None
                    assert layout.pixel_end is not None
                    out.write(_pixel_header(layout, head, implicit_vr, little_endian))
                    _copy(fp, out, layout.pixel_value_start, layout.pixel_end)
                if len(after):
                    writer = DicomFileLike(out)
                    writer.is_implicit_VR = implicit_vr
                    writer.is_little_endian = little_endian
                    write_dataset(writer, after, _charset(head))
        except (DicomProblem, OSError):  # OSError: the disk, not the file (a retry may work)
            _remove(target)
            raise
        except Exception as error:
            _remove(target)
            raise problems.damaged() from error
    return report
