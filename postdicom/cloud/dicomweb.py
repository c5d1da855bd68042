"""QIDO-RS and WADO-RS for the cloud backend: ``DicomQuery`` to query keys, DICOM JSON back
to the contract's types, and retrieved instances spooled one at a time.

The answers are read as any DICOMweb server writes them (PS3.18 F.2), so the same code reads
a Rayport and PostDICOM's cloud. Attributes a server leaves out become empty values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from email.parser import BytesParser
from email.policy import HTTP
from typing import IO, Any

import httpx
import pydicom
from django.utils.translation import gettext as _
from pydicom.errors import InvalidDicomError

from postdicom import types as t
from postdicom.cloud.transport import Transport
from postdicom.errors import NotFound, Unavailable

#: Private attribute a Rayport adds to its study results: the order a study belongs to
#: (creator "RAYPORT" in group 0011, ``postdicom.server.dicomjson``). Other servers leave it out.
ORDER_ID_TAG = "00111001"
#: Files up to this size stay in memory while they are read; larger ones spill to disk.
SPOOL_IN_MEMORY = 4 * 1024 * 1024


def query_params(query: t.DicomQuery) -> dict[str, str | list[str]]:
    """The QIDO-RS query keys of ``query`` (empty keys left out), with ``limit``/``offset``."""
    params: dict[str, str | list[str]] = {}
    text = {
        "PatientName": query.patient_name,
        "PatientID": query.patient_id,
        "AccessionNumber": query.accession_number,
        "StudyDescription": query.study_description,
    }
    params.update({key: value for key, value in text.items() if value})
    if query.study_date_from or query.study_date_to:
        params["StudyDate"] = f"{_da(query.study_date_from)}-{_da(query.study_date_to)}"
    if query.modalities:
        params["ModalitiesInStudy"] = ",".join(query.modalities)
    uids = {
        "StudyInstanceUID": query.study_uids,
        "SeriesInstanceUID": query.series_uids,
        "SOPInstanceUID": query.sop_instance_uids,
        "SOPClassUID": query.sop_class_uids,
    }
    params.update({key: ",".join(values) for key, values in uids.items() if values})
    if query.series_number is not None:
        params["SeriesNumber"] = str(query.series_number)
    params["limit"] = str(query.limit)
    if query.offset:
        params["offset"] = str(query.offset)
    return params


def _da(value: dt.date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


def _values(item: Mapping[str, Any], tag: str) -> list[Any]:
    value = item.get(tag, {}).get("Value", [])
    return value if isinstance(value, list) else []


def _text(item: Mapping[str, Any], tag: str) -> str:
    values = _values(item, tag)
    return str(values[0]) if values else ""


def _int(item: Mapping[str, Any], tag: str, default: int | None = 0) -> int | None:
    text = _text(item, tag)
    try:
        return int(text)
    except ValueError:
        return default


def _person(item: Mapping[str, Any], tag: str) -> str:
    values = _values(item, tag)
    if not values or not isinstance(values[0], Mapping):
        return ""
    groups = [values[0].get(k, "") for k in ("Alphabetic", "Ideographic", "Phonetic")]
    while groups and not groups[-1]:
        groups.pop()
    return "=".join(groups)


def _date(item: Mapping[str, Any], tag: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(_text(item, tag)[:8], "%Y%m%d").date()
    except ValueError:
        return None


def _time(item: Mapping[str, Any], tag: str) -> dt.time | None:
    text = _text(item, tag).split(".")[0]
    for form in ("%H%M%S", "%H%M", "%H"):
        try:
            return dt.datetime.strptime(text, form).time()
        except ValueError:
            continue
    return None


def order_id_of(item: Mapping[str, Any], study_uid: str) -> uuid.UUID:
    """The order a study result names (Rayport), else an id made from its Study UID, the same
    every time, for servers that have no orders in their DICOMweb (PostDICOM's cloud)."""
    try:
        return uuid.UUID(_text(item, ORDER_ID_TAG))
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_OID, study_uid)


def names_order(item: Mapping[str, Any]) -> bool:
    """Whether a study result names its order (a Rayport's private attribute)."""
    try:
        uuid.UUID(_text(item, ORDER_ID_TAG))
    except ValueError:
        return False
    return True


def study(item: Mapping[str, Any]) -> t.DicomStudy:
    uid = _text(item, "0020000D")
    return t.DicomStudy(
        order_id=order_id_of(item, uid),
        study_uid=uid,
        patient_name=_person(item, "00100010"),
        patient_id=_text(item, "00100020"),
        birth_date=_date(item, "00100030"),
        sex=_text(item, "00100040"),
        study_date=_date(item, "00080020"),
        study_time=_time(item, "00080030"),
        accession_number=_text(item, "00080050"),
        description=_text(item, "00081030"),
        referring_physician=_person(item, "00080090"),
        modalities=tuple(str(v) for v in _values(item, "00080061")),
        series_count=_int(item, "00201206") or 0,
        instance_count=_int(item, "00201208") or 0,
        updated_at=None,
    )


def series(item: Mapping[str, Any]) -> t.DicomSeries:
    return t.DicomSeries(
        study_uid=_text(item, "0020000D"),
        series_uid=_text(item, "0020000E"),
        modality=_text(item, "00080060"),
        description=_text(item, "0008103E"),
        number=_int(item, "00200011", None),
        instance_count=_int(item, "00201209") or 0,
        updated_at=None,
    )


def instance(item: Mapping[str, Any]) -> t.DicomInstance:
    sop = _text(item, "00080018")
    return t.DicomInstance(
        study_uid=_text(item, "0020000D"),
        series_uid=_text(item, "0020000E"),
        sop_instance_uid=sop,
        sop_class_uid=_text(item, "00080016"),
        transfer_syntax_uid=_text(item, "00083002"),
        number_of_frames=_int(item, "00280008") or 1,
        size=0,
        # The server's answer has no content hash; the UID stands in, so that validators
        # made from it still change when the instance does not exist any more.
        sha256=hashlib.sha256(sop.encode()).hexdigest(),
        stored_at=dt.datetime.now(dt.UTC),
    )


def spool_instance(wire: Transport, path: str, headers: Mapping[str, str]) -> IO[bytes]:
    """Retrieve one instance (WADO-RS, ``multipart/related; type="application/dicom"``) into
    a seekable spooled file: its first part only, read in pieces, never whole in memory."""
    accept = 'multipart/related; type="application/dicom"'
    with wire.stream("GET", path, headers={**headers, "Accept": accept}) as response:
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (the caller closes it)
        try:
            _first_part(response, spool)
        except BaseException:
            spool.close()
            raise
    spool.seek(0)
    return spool


def study_uid_of(handle: IO[bytes]) -> str:
    """The Study Instance UID in a retrieved instance's header ("" when it has none)."""
    try:
        header = pydicom.dcmread(handle, stop_before_pixels=True, specific_tags=["StudyInstanceUID"])
    except (InvalidDicomError, ValueError, EOFError) as error:
        raise Unavailable(_("The image server sent an answer that could not be read.")) from error
    return str(header.get("StudyInstanceUID", "") or "")


def _first_part(response: httpx.Response, out: IO[bytes]) -> None:
    """Copy the body of the first part of a multipart answer into ``out``, piece by piece."""
    content_type = response.headers.get("content-type", "")
    boundary = _boundary(content_type)
    if boundary is None:
        if "application/dicom" not in content_type:
            raise Unavailable("The image server sent an instance in a form that could not be read.")
        for piece in response.iter_bytes():
            out.write(piece)
        return
    opening, closing = b"--" + boundary, b"\r\n--" + boundary
    buffer, started = b"", False
    for piece in response.iter_bytes():
        buffer += piece
        if not started:
            at = buffer.find(opening)
            end = buffer.find(b"\r\n\r\n", at) if at >= 0 else -1
            if end < 0:
                continue
            buffer, started = buffer[end + 4 :], True
        at = buffer.find(closing)
        if at >= 0:
            out.write(buffer[:at])
            return
        keep = len(closing)
        out.write(buffer[:-keep])
        buffer = buffer[-keep:]
    raise NotFound("The image server sent no instance.")


def _boundary(content_type: str) -> bytes | None:
    if not content_type.lower().startswith("multipart/"):
        return None
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode("latin-1"))
    boundary = message.get_param("boundary")
    return str(boundary).encode("latin-1") if boundary else None


def iter_json(answer: Any) -> Iterator[Mapping[str, Any]]:
    if not isinstance(answer, list):
        raise Unavailable("The image server sent search results that could not be read.")
    yield from (item for item in answer if isinstance(item, Mapping))
