"""Search results and metadata in the DICOM JSON model (PS3.18 Annex F.2).

Each level answers the attributes PS3.18 Table 6.7.1-2 requires that the index holds, plus
the optional ones named with ``includefield`` (or all with ``includefield=all``). Attributes
the index does not keep (Instance Number, Rows, Columns…) come from ``/metadata``
(``postdicom.dicom.described``: each file's header, read once and kept).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from postdicom import types as t

Json = dict[str, Any]

#: The private block of Rayport's own attributes in search results, and the order's id in it.
PRIVATE_CREATOR = "RAYPORT"
ORDER_ID_TAG = "00111001"


def element(vr: str, *values: Any) -> Json:
    present = [v for v in values if v not in (None, "")]
    return {"vr": vr, "Value": present} if present else {"vr": vr}


def _date(value: dt.date | None) -> str | None:
    return value.strftime("%Y%m%d") if value else None


def _time(value: dt.time | None) -> str | None:
    return value.strftime("%H%M%S") if value else None


def person(name: str) -> Json:
    """A PN value: its ``=`` groups as Alphabetic, Ideographic and Phonetic."""
    if not name:
        return {"vr": "PN"}
    groups = dict(zip(("Alphabetic", "Ideographic", "Phonetic"), name.split("="), strict=False))
    return {"vr": "PN", "Value": [{k: v for k, v in groups.items() if v}]}


def _with(required: Json, optional: dict[str, tuple[str, Json]], include: frozenset[str]) -> Json:
    out = dict(required)
    for tag, (keyword, value) in optional.items():
        if "all" in include or keyword in include:
            out[tag] = value
    return dict(sorted(out.items()))


def study(item: t.DicomStudy, url: str, include: frozenset[str]) -> Json:
    required = {
        "00080005": element("CS", "ISO_IR 192"),
        "00080020": element("DA", _date(item.study_date)),
        "00080030": element("TM", _time(item.study_time)),
        "00080050": element("SH", item.accession_number),
        "00080056": element("CS", "ONLINE"),
        "00080061": element("CS", *item.modalities),
        "00080090": person(item.referring_physician),
        "00081190": element("UR", url),
        "00100010": person(item.patient_name),
        "00100020": element("LO", item.patient_id),
        "00100030": element("DA", _date(item.birth_date)),
        "00100040": element("CS", item.sex),
        "0020000D": element("UI", item.study_uid),
        "00200010": element("SH"),
        "00201206": element("IS", item.series_count),
        "00201208": element("IS", item.instance_count),
        # The order the study belongs to, as a private attribute (creator RAYPORT): the cloud
        # backend of another portal names orders by it.
        "00110010": element("LO", PRIVATE_CREATOR),
        ORDER_ID_TAG: element("LO", str(item.order_id)),
    }
    optional = {"00081030": ("StudyDescription", element("LO", item.description))}
    return _with(required, optional, include)


def series(item: t.DicomSeries, url: str, include: frozenset[str]) -> Json:
    required = {
        "00080005": element("CS", "ISO_IR 192"),
        "00080056": element("CS", "ONLINE"),
        "00080060": element("CS", item.modality),
        "0008103E": element("LO", item.description),
        "00081190": element("UR", url),
        "0020000D": element("UI", item.study_uid),
        "0020000E": element("UI", item.series_uid),
        "00200011": element("IS", item.number),
        "00201209": element("IS", item.instance_count),
    }
    return _with(required, {}, include)


def instance(item: t.DicomInstance, url: str, include: frozenset[str]) -> Json:
    required = {
        "00080016": element("UI", item.sop_class_uid),
        "00080018": element("UI", item.sop_instance_uid),
        "00080056": element("CS", "ONLINE"),
        "00081190": element("UR", url),
        "0020000D": element("UI", item.study_uid),
        "0020000E": element("UI", item.series_uid),
        "00280008": element("IS", item.number_of_frames or 1),
    }
    optional = {"00083002": ("AvailableTransferSyntaxUID", element("UI", item.transfer_syntax_uid))}
    return _with(required, optional, include)
