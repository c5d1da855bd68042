"""PostDICOM's replacement values (``anonymizedData``): validated per VR, then written.

The tag list is PostDICOM's ``DicomTagsEnum``: PatientName, PatientID, OtherPatientIDs,
OtherPatientNames, StudyDescription, ReferringPhysicianName, InstitutionName,
InstitutionAddress, AccessionNumber, StudyDate. Keys may be the DICOM keywords, PostDICOM's
spellings (``PatientId``, ``OtherPatientId``, ``OtherPatientName``) or its hex keys
(``x00100010``). :func:`validate_replacements` checks each value for its VR (a real date for
StudyDate; no control characters; no ``\\`` in single-valued tags; at most three ``=`` groups
of five ``^`` components in names) and, like PostDICOM, cuts values to the VR's maximum
length. An empty value empties the tag; a tag the file lacks is added.

:func:`apply_replacements` writes cleaned values into a data set; when a value cannot be
written in the data set's character set (a Japanese name into a Latin-1 file), the data set
is decoded and switched to UTF-8 (ISO_IR 192) first, so its other values keep their letters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from pydicom import charset as dicom_charset
from pydicom import datadict
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from postdicom.errors import InvalidInput


@dataclass(frozen=True)
class Replaceable:
    keyword: str
    vr: str
    multiple: bool  # VM 1-n: "\" separates values
    max_length: int  # per value, in characters


REPLACEABLE: dict[str, Replaceable] = {
    r.keyword: r
    for r in (
        Replaceable("PatientName", "PN", False, 64),
        Replaceable("PatientID", "LO", False, 64),
        Replaceable("OtherPatientIDs", "LO", True, 64),
        Replaceable("OtherPatientNames", "PN", True, 64),
        Replaceable("StudyDescription", "LO", False, 64),
        Replaceable("ReferringPhysicianName", "PN", False, 64),
        Replaceable("InstitutionName", "LO", False, 64),
        Replaceable("InstitutionAddress", "ST", False, 1024),
        Replaceable("AccessionNumber", "SH", False, 16),
        Replaceable("StudyDate", "DA", False, 8),
    )
}

#: PostDICOM's DicomTagsEnum names and hex keys for the same tags.
ALIASES: dict[str, str] = {
    "PatientId": "PatientID",
    "OtherPatientId": "OtherPatientIDs",
    "OtherPatientName": "OtherPatientNames",
}
for _keyword in REPLACEABLE:
    _tag = datadict.tag_for_keyword(_keyword)
    assert _tag is not None
    ALIASES[f"x{_tag:08x}"] = _keyword
    ALIASES[f"{_tag:08x}"] = _keyword

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def canonical_keyword(key: str) -> str | None:
    """The DICOM keyword for a replacement key, or None when it is not in the list."""
    key = key.strip()
    if key in REPLACEABLE:
        return key
    return ALIASES.get(key) or ALIASES.get(key.lower())


def _clean_date(value: str) -> str | None:
    text = value.strip()
    for form in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, form).date().strftime("%Y%m%d")
        except ValueError:
            continue
    return None


def _check_name(value: str) -> bool:
    groups = value.split("=")
    return len(groups) <= 3 and all(group.count("^") <= 4 for group in groups)


def validate_replacements(values: Mapping[str, str]) -> dict[str, str]:
    """Replacement values keyed by DICOM keyword, cleaned; raise ``InvalidInput`` per key."""
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, raw in values.items():
        keyword = canonical_keyword(key)
        if keyword is None:
            errors[key] = _("This tag cannot be replaced.")
            continue
        spec = REPLACEABLE[keyword]
        value = "" if raw is None else str(raw).strip()
        if _CONTROL.search(value):
            errors[key] = _("Use letters, digits, spaces and punctuation only.")
            continue
        if "\\" in value and not spec.multiple:
            errors[key] = _("A backslash (\\) is not allowed here.")
            continue
        parts = [part.strip() for part in value.split("\\")] if value else []
        if spec.vr == "DA" and value:
            date = _clean_date(value)
            if date is None:
                errors[key] = _("Enter a real date as YYYY-MM-DD or YYYYMMDD.")
                continue
            parts = [date]
        if spec.vr == "PN" and not all(_check_name(part) for part in parts):
            errors[key] = _("Write names as LAST^FIRST^MIDDLE^PREFIX^SUFFIX.")
            continue
        cleaned[keyword] = "\\".join(part[: spec.max_length].rstrip() for part in parts)
    if errors:
        raise InvalidInput(errors)
    return cleaned


def _terms(value: Any) -> list[str]:
    if isinstance(value, MultiValue | list | tuple):
        return [str(term) for term in value]
    return [str(value)] if value else []


def _fits_charset(dataset: Dataset, text: str) -> bool:
    if text.isascii():
        return True
    terms = _terms(dataset.get("SpecificCharacterSet", "")) or [""]
    codecs = dicom_charset.convert_encodings(terms)
    if len(codecs) != 1:  # ISO 2022 code extensions: safer to switch to UTF-8
        return False
    try:
        text.encode(codecs[0])
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _make_room_for(dataset: Dataset, texts: list[str]) -> None:
    """Switch the data set to UTF-8 when a replacement cannot be written in its character set."""
    if all(_fits_charset(dataset, text) for text in texts):
        return
    dataset.decode()  # every text value becomes str in the old character set first
    dataset.SpecificCharacterSet = "ISO_IR 192"


def apply_replacements(dataset: Dataset, replacements: Mapping[str, str]) -> None:
    """Write values cleaned by :func:`validate_replacements` into the top level of ``dataset``."""
    _make_room_for(dataset, list(replacements.values()))
    for keyword, value in replacements.items():
        spec = REPLACEABLE[keyword]
        parts = value.split("\\") if value else []
        stored: Any = parts[0] if len(parts) == 1 else (parts or "")
        tag = datadict.tag_for_keyword(keyword)
        assert tag is not None
        dataset[tag] = DataElement(tag, spec.vr, stored)
