"""The PS3.15 Basic Application Level Confidentiality Profile, applied to a pydicom data set.

:func:`apply_basic_profile` walks the data set and every item of the sequences it keeps
(iteratively, so nesting cannot exhaust the stack) and does what
:mod:`postdicom.dicom.profile` says for each attribute; beyond the table it removes private
attributes, group lengths, curves and overlay data, remaps every UID that is not a
DICOM-defined class or syntax through the upload's :class:`~postdicom.dicom.uids.UidMap`,
shifts every remaining date by the upload's offset, and empties names of people the table does
not list. :func:`mark_deidentified` then sets PatientIdentityRemoved, DeidentificationMethod and
its code sequence (113100 Basic Application Confidentiality Profile, 113107 Retain Longitudinal
Temporal Information Modified Dates Option) and LongitudinalTemporalInformationModified.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydicom.dataelem import DataElement, empty_value_for_VR
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

from postdicom.dicom import problems
from postdicom.dicom.layout import MAX_DEPTH
from postdicom.dicom.profile import BASIC_PROFILE, PROFILE_TAGS, Action, is_curve_or_overlay, resolve
from postdicom.dicom.uids import UidMap


@dataclass
class ProfileCounts:
    """What :func:`apply_basic_profile` changed."""

    removed: int = 0
    emptied: int = 0
    dummied: int = 0
    remapped_uids: int = 0
    shifted_dates: int = 0


#: UIDs that name DICOM classes, syntaxes or coding schemes, never an instance: not remapped.
_CLASS_UID_KEYWORDS = frozenset(
    {
        "SOPClassUID",
        "MediaStorageSOPClassUID",
        "ReferencedSOPClassUID",
        "ReferencedSOPClassUIDInFile",
        "AffectedSOPClassUID",
        "RequestedSOPClassUID",
        "TransferSyntaxUID",
        "ReferencedTransferSyntaxUIDInFile",
        "ImplementationClassUID",
        "CodingSchemeUID",
        "ContextUID",
        "MappingResourceUID",
        "SOPClassesInStudy",
        "RelatedGeneralSOPClassUID",
        "OriginalSpecializedSOPClassUID",
        "PrivateInformationCreatorUID",
        "SpecimenUID",
    }
)
_DICOM_ROOT = "1.2.840.10008."

DUMMY_TEXT = "ANONYMIZED"
DUMMY_NAME = "Anonymized"

#: DeidentificationMethod (LO, 1-n: each value at most 64 characters).
DEIDENTIFICATION_METHOD = [
    "Basic Application Confidentiality Profile",
    "Retain Longitudinal Temporal Information Modified Dates Option",
    "Rayport",
]


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, MultiValue | list | tuple):
        return list(value)
    return [value]


def _set_values(element: DataElement, values: list[Any]) -> None:
    element.value = values[0] if len(values) == 1 else (values or empty_value_for_VR(element.VR))


def _keep_uid(keyword: str, value: str) -> bool:
    return keyword in _CLASS_UID_KEYWORDS or value.startswith(_DICOM_ROOT)


def _remap(element: DataElement, uid_map: UidMap, counts: ProfileCounts) -> None:
    keyword = element.keyword
    new = []
    for value in _values(element.value):
        text = str(value).strip().rstrip("\x00")
        if text and not _keep_uid(keyword, text):
            new.append(uid_map(text))
            counts.remapped_uids += 1
        else:
            new.append(text)
    _set_values(element, new)


def shift_date(text: str, days: int) -> str:
    """``YYYYMMDD`` moved by ``days``; "" when it is not a real date."""
    text = text.strip()
    if len(text) != 8 or not text.isdigit():
        return ""
    try:
        date = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        return (date + dt.timedelta(days=days)).strftime("%Y%m%d")
    except (ValueError, OverflowError):
        return ""


def shift_datetime(text: str, days: int) -> str:
    """A DT value with its date part moved by ``days`` (time and offset kept); "" if unreadable."""
    text = text.strip()
    digits = len(text) - len(text.lstrip("0123456789"))
    if digits < 4:
        return ""
    if digits < 8:  # YYYY or YYYYMM: shift the first day of that period, keep the precision
        shifted = shift_date(text[:digits].ljust(8, "0")[:4] + (text[4:6] or "01") + "01", days)
        return shifted[:digits] + text[digits:] if shifted else ""
    shifted = shift_date(text[:8], days)
    return shifted + text[8:] if shifted else ""


def _shift(element: DataElement, days: int, counts: ProfileCounts) -> None:
    shift = shift_date if element.VR == "DA" else shift_datetime
    new = [shift(str(value), days) for value in _values(element.value) if str(value).strip()]
    counts.shifted_dates += len(new)
    _set_values(element, [value for value in new if value])


def _dummy(element: DataElement, uid_map: UidMap, counts: ProfileCounts) -> None:
    vr = element.VR
    if vr == "PN":
        element.value = DUMMY_NAME
    elif vr in ("LO", "SH", "LT", "ST", "UT", "UC", "CS", "AE"):
        element.value = DUMMY_TEXT
    elif vr in ("US", "SS", "UL", "SL", "FL", "FD", "UV", "SV"):
        element.value = 0
    elif vr in ("IS", "DS"):
        element.value = "0"
    elif vr == "UI":
        _remap(element, uid_map, counts)
        return
    else:
        element.value = empty_value_for_VR(vr)
    counts.dummied += 1


def apply_basic_profile(dataset: Dataset, uid_map: UidMap, counts: ProfileCounts) -> None:
    """Apply the basic profile to ``dataset`` and every item of its kept sequences."""
    days = uid_map.date_offset_days
    pending: list[tuple[Dataset, int]] = [(dataset, 0)]
    while pending:
        current, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise problems.too_deep(MAX_DEPTH)
        for base_tag in list(current.keys()):
            tag = int(base_tag)
            group, number = tag >> 16, tag & 0xFFFF
            if group % 2 or group in (0x0000, 0x0002) or number == 0 or is_curve_or_overlay(tag):
                del current[tag]
                counts.removed += 1
                continue
            try:
                element = current[tag]
            except Exception:  # a value pydicom cannot even convert: it goes
                del current[tag]
                counts.removed += 1
                continue
            vr = element.VR
            keyword = PROFILE_TAGS.get(tag)
            if keyword is not None:
                action = resolve(BASIC_PROFILE[keyword], vr, keyword)
            elif vr == "UI":
                action = Action.UID
            elif vr in ("DA", "DT"):
                action = Action.SHIFT
            elif vr == "PN":
                action = Action.EMPTY  # Rayport: names of people the table does not list go too
            else:
                action = Action.KEEP
            if action is Action.REMOVE:
                del current[tag]
                counts.removed += 1
            elif action is Action.EMPTY:
                if not element.is_empty:
                    counts.emptied += 1
                element.value = empty_value_for_VR(vr)
            elif action is Action.UID:
                _remap(element, uid_map, counts)
            elif action is Action.SHIFT:
                _shift(element, days, counts)
            elif action is Action.DUMMY and vr != "SQ":
                _dummy(element, uid_map, counts)
            if vr == "SQ" and action in (Action.KEEP, Action.DUMMY) and tag in current:
                pending.extend((item, depth + 1) for item in element.value)


def apply_basic_profile_to_meta(file_meta: Dataset, uid_map: UidMap, counts: ProfileCounts) -> None:
    for keyword in (
        "SourceApplicationEntityTitle",
        "SendingApplicationEntityTitle",
        "ReceivingApplicationEntityTitle",
        "PrivateInformationCreatorUID",
        "PrivateInformation",
    ):
        if keyword in file_meta:
            del file_meta[keyword]
            counts.removed += 1
    if "MediaStorageSOPInstanceUID" in file_meta:
        _remap(file_meta["MediaStorageSOPInstanceUID"], uid_map, counts)


def mark_deidentified(dataset: Dataset) -> None:
    dataset.PatientIdentityRemoved = "YES"
    dataset.DeidentificationMethod = DEIDENTIFICATION_METHOD
    codes = []
    for value, meaning in (
        ("113100", "Basic Application Confidentiality Profile"),
        ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
    ):
        item = Dataset()
        item.CodeValue = value
        item.CodingSchemeDesignator = "DCM"
        item.CodeMeaning = meaning
        codes.append(item)
    dataset.DeidentificationMethodCodeSequence = Sequence(codes)
    dataset.LongitudinalTemporalInformationModified = "MODIFIED"
