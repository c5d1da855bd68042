"""GetDicomTagContent: the values of DICOM tags in an order's stored images.

One entry per series (the one asked for, else every series of the order), read from the
header of the series' first stored instance (tags such as Patient Name or Series Description
are the same in every instance of a series). Tags are named as ``00100010``, ``0010,0010``,
``(0010,0010)``, ``x00100010`` or by keyword (``PatientName``); no list: every element of
the header except sequences and binary values. The series are read through ``open_instances``
(purpose METADATA), so visibility and the audit trail are the service's.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext as _
from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.tag import Tag

from postdicom import get_api
from postdicom import types as t
from postdicom.dicom.frames import read_header
from postdicom.errors import InvalidInput, NotFound
from postdicom.server.custom.endpoint import endpoint, ok
from postdicom.server.custom.orders import not_in_institution
from postdicom.server.custom.params import Kind, Param, Spec

_BINARY = {"OB", "OD", "OF", "OL", "OV", "OW", "UN", "SQ"}
_HEX = re.compile(r"^\(?(?:0x|x)?([0-9a-fA-F]{4}),?([0-9a-fA-F]{4})\)?$")

SPEC = Spec(
    "GetDicomTagContentParameters",
    (
        Param("PatientOrderInstitutionUuid", Kind.UUID, required=True),
        Param("PatientOrderUuid", Kind.UUID, required=True, fields=("order_id",)),
        Param("PatientSeriesUuid", Kind.UUID),
        Param("DicomTagIdList", Kind.TEXT_LIST),
    ),
)


def parse_tag(text: str) -> int | None:
    """The tag ``text`` names (see the module's docstring), or None."""
    match = _HEX.match(text.strip())
    if match:
        return int(match.group(1) + match.group(2), 16)
    found = tag_for_keyword(text.strip())
    return int(found) if found is not None else None


def _tags(names: tuple[str, ...]) -> list[int]:
    tags, unknown = [], []
    for name in names:
        tag = parse_tag(name)
        if tag is None:
            unknown.append(name)
        else:
            tags.append(tag)
    if unknown:
        raise InvalidInput({"DicomTagIdList": _("Not a DICOM tag: %(names)s.") % {"names": ", ".join(unknown)[:200]}})
    return list(dict.fromkeys(tags))


def _value(ds: Dataset, tag: int) -> dict[str, Any]:
    element = ds.get(Tag(tag))
    try:
        vr = element.VR if element is not None else dictionary_VR(tag)
    except KeyError:
        vr = ""
    entry = {"TagId": f"{tag:08X}", "TagName": keyword_for_tag(tag) or "", "VR": vr, "Value": ""}
    if element is None or element.value is None or vr in _BINARY:
        return entry
    value = element.value
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        entry["Value"] = "\\".join(str(v) for v in value)
    else:
        entry["Value"] = str(value)
    return entry


def _series_of(detail: t.OrderDetail, series_id: Any) -> list[tuple[t.StudyInfo, t.SeriesInfo]]:
    found = [(study, series) for study in detail.studies for series in study.series]
    if series_id is None:
        return found
    chosen = [pair for pair in found if pair[1].id == series_id]
    if not chosen:
        raise NotFound(_("This order has no series with this PatientSeriesUuid."))
    return chosen


@endpoint(SPEC)
def get_dicom_tag_content(actor: User, values: dict[str, Any]) -> dict[str, Any]:
    wanted = _tags(values["DicomTagIdList"])
    api = get_api()
    detail = api.order_properties(actor=actor, order_id=values["PatientOrderUuid"])
    if detail.summary.institution.id != values["PatientOrderInstitutionUuid"]:
        raise not_in_institution()
    result = []
    for study, series in _series_of(detail, values["PatientSeriesUuid"]):
        try:
            stored = api.open_instances(
                actor=actor,
                study_uid=study.study_uid,
                series_uid=series.series_uid,
                purpose=t.DicomReadPurpose.METADATA,
            )
        except NotFound:
            continue  # a series whose files are not stored (yet)
        first = stored.instances[0]
        with stored.open(first) as handle:
            ds = read_header(handle)
        tags = wanted or [int(e.tag) for e in ds if e.VR not in _BINARY]
        result.append(
            {
                "PatientSeriesUuid": str(series.id),
                "StudyInstanceUid": study.study_uid,
                "SeriesInstanceUid": series.series_uid,
                "SopInstanceUid": first.sop_instance_uid,
                "DicomTagList": [_value(ds, tag) for tag in tags],
            }
        )
    return ok(PatientOrderUuid=str(detail.summary.id), SeriesList=result)
