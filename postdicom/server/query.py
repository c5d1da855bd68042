"""QIDO-RS query parameters (PS3.18 §8.3.4) as a ``DicomQuery``.

Keys are attribute keywords or tags (``PatientName`` or ``00100010``); text keys take the
wildcards ``*`` and ``?``; UID keys take lists (``a,b`` or ``a\\b``, or the key repeated);
``StudyDate`` takes ``YYYYMMDD``, ``YYYYMMDD-``, ``-YYYYMMDD`` and ``YYYYMMDD-YYYYMMDD``.
A valid DICOM attribute this server cannot match on is ignored and named in a ``Warning``
header (PS3.18 §8.3.4.1), a key that is no DICOM attribute at all is refused (400).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from django.http import QueryDict
from django.utils.translation import gettext as _
from pydicom import datadict

from postdicom import types as t
from postdicom.errors import InvalidInput

_TAG = re.compile(r"^[0-9A-Fa-f]{8}$")
_DATE = re.compile(r"^\d{8}$")
_UID = re.compile(r"^[0-9.]{1,64}$")
_CONTROL = {"limit", "offset", "includefield", "fuzzymatching"}

#: Matching keys: keyword → DicomQuery field, and how the value is read.
_TEXT = {
    "PatientName": "patient_name",
    "PatientID": "patient_id",
    "AccessionNumber": "accession_number",
    "StudyDescription": "study_description",
}
_UIDS = {
    "StudyInstanceUID": "study_uids",
    "SeriesInstanceUID": "series_uids",
    "SOPInstanceUID": "sop_instance_uids",
    "SOPClassUID": "sop_class_uids",
}
_CODES = {"ModalitiesInStudy": "modalities", "Modality": "modalities"}
MATCHING_KEYS = (*_TEXT, *_UIDS, *_CODES, "StudyDate", "SeriesNumber")


@dataclass(frozen=True)
class Search:
    query: t.DicomQuery
    include: frozenset[str]  # keywords asked for with includefield; "all" for everything
    ignored: tuple[str, ...]  # attributes that were not used for matching


def is_uid(value: str) -> bool:
    """Digits and dots, 1 to 64 characters."""
    return bool(_UID.match(value))


def keyword_of(key: str) -> str | None:
    """``PatientName`` or ``00100010`` → ``PatientName``; None when it is no attribute."""
    if _TAG.match(key):
        return datadict.keyword_for_tag(int(key, 16)) or None
    return key if datadict.tag_for_keyword(key) is not None else None


def _values(raw: list[str]) -> tuple[str, ...]:
    return tuple(v.strip() for value in raw for v in re.split(r"[,\\]", value) if v.strip())


def _date(value: str) -> dt.date:
    if not _DATE.match(value):
        raise InvalidInput({"StudyDate": _("Write dates as YYYYMMDD, for example 20260131.")})
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise InvalidInput({"StudyDate": _("%(value)s is not a date.") % {"value": value}}) from None


def _date_range(value: str) -> tuple[dt.date | None, dt.date | None]:
    start, dash, end = value.partition("-")
    if not dash:
        day = _date(start)
        return day, day
    return (_date(start) if start else None), (_date(end) if end else None)


def _number(params: QueryDict, name: str, default: int) -> int:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise InvalidInput({name: _("%(name)s must be a whole number.") % {"name": name}})
    return int(raw)


def parse(params: QueryDict) -> Search:
    """The search the query string asks for; ``InvalidInput`` for what cannot be read."""
    fields: dict[str, object] = {}
    ignored = []
    for key in params:
        if key in _CONTROL:
            continue
        keyword = keyword_of(key)
        if keyword is None:
            raise InvalidInput({key: _("%(key)s is not a DICOM attribute.") % {"key": key}})
        raw = [value for value in params.getlist(key) if value.strip()]
        if not raw:
            continue
        if keyword in _TEXT:
            fields[_TEXT[keyword]] = raw[0].strip()
        elif keyword in _UIDS:
            uids = _values(raw)
            if not all(_UID.match(uid) for uid in uids):
                raise InvalidInput({keyword: _("A UID is made of digits and dots only.")})
            fields[_UIDS[keyword]] = uids
        elif keyword in _CODES:
            fields["modalities"] = tuple(v.upper() for v in _values(raw))
        elif keyword == "StudyDate":
            fields["study_date_from"], fields["study_date_to"] = _date_range(raw[0].strip())
        elif keyword == "SeriesNumber":
            if not raw[0].strip().lstrip("-").isdigit():
                raise InvalidInput({keyword: _("%(name)s must be a whole number.") % {"name": keyword}})
            fields["series_number"] = int(raw[0])
        else:
            ignored.append(keyword)
    limit = _number(params, "limit", 100)
    if not 0 < limit <= t.DICOM_SEARCH_LIMIT:
        raise InvalidInput({"limit": _("Ask for 1 to %(n)d results.") % {"n": t.DICOM_SEARCH_LIMIT}})
    include = set()
    for value in _values(params.getlist("includefield")):
        keyword = "all" if value == "all" else keyword_of(value)
        if keyword is None:
            raise InvalidInput({"includefield": _("%(key)s is not a DICOM attribute.") % {"key": value}})
        include.add(keyword)
    query = replace(t.DicomQuery(), limit=limit, offset=_number(params, "offset", 0), **fields)  # type: ignore[arg-type]
    return Search(query, frozenset(include), tuple(ignored))
