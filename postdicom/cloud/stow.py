"""STOW-RS from the cloud backend: files sent as ``multipart/related; type="application/dicom"``
(PS3.18 §10.5), streamed from disk, and each file's outcome read from the answer.

* A request carries at most ``MAX_FILES`` files and about ``MAX_BYTES`` (a file larger than
  that goes alone), and never one SOP Instance UID twice, since the answer names instances
  by that UID. The body is a generator reading each file in ``PIECE`` pieces, with its exact
  ``Content-Length`` announced up front (a server behind WSGI may not take a chunked body):
  a file set is never held in memory.
* The answer (PS3.18 Table 10.5.3-1): a ReferencedSOPSequence item is stored (a
  ``WarningReason`` adds a warning, worded by the server's ``ErrorComment`` when it sends
  one), except that the warning 0111 means it was already there: ``DUPLICATE``, as the local
  backend says of the same image sent again; a FailedSOPSequence item is refused: 0111
  (another image under its SOP Instance UID) is a ``CONFLICT``, anything else ``REJECTED``.
  An instance the answer does not name was not stored. 200, 202 and 409 are answers; 413
  splits the request in two (one file alone that is still too large is refused); a refusal
  of the whole request (400, 403, 404) refuses each of its files with the server's reason.
* Retries: a POST is not idempotent by HTTP, but sending the same instance again only gives
  a duplicate, which the server answers as stored with the warning 0111 (and an anonymized
  file is made again with the batch's own UID map, so it has the same UIDs). A request that
  could not be sent, or was answered 502/503/504, is therefore sent again, with a fresh
  body, after a backoff.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.cloud.transport import Transport
from postdicom.dicom.comments import ERROR_COMMENT, read_comment
from postdicom.errors import Forbidden, InvalidInput, NotFound, Unavailable, Unsupported

#: Files and bytes one request carries at most (bench/README.md, "cloud": measured).
MAX_FILES = 25
MAX_BYTES = 32 * 1024 * 1024
#: Bytes read from a file at a time while it is sent.
PIECE = 1024 * 1024

#: A SOP Instance UID already stored: failed, another image (``CONFLICT``); warned, the same
#: image again (``DUPLICATE``).
CONFLICT_CODE = DUPLICATE_CODE = 0x0111
ANSWERS = frozenset({200, 202, 409, 413})


@dataclass(frozen=True)
class Outgoing:
    """A file to send: its entry in the batch, where it is, and the SOP Instance UID it holds."""

    key: str
    path: Path
    sop_instance_uid: str
    size: int


@dataclass(frozen=True)
class Result:
    outcome: t.UploadOutcome
    reason: str = ""
    warnings: tuple[str, ...] = field(default=())


def requests_of(
    items: Sequence[Outgoing], max_files: int = MAX_FILES, max_bytes: int = MAX_BYTES
) -> list[list[Outgoing]]:
    """``items`` in requests: at most ``max_files`` files and about ``max_bytes`` each, no SOP
    Instance UID twice in one request."""
    groups: list[list[Outgoing]] = []
    current: list[Outgoing] = []
    size, uids = 0, set[str]()
    for item in items:
        full = len(current) >= max_files or (current and size + item.size > max_bytes)
        if full or item.sop_instance_uid in uids:
            groups.append(current)
            current, size, uids = [], 0, set[str]()
        current.append(item)
        size += item.size
        uids.add(item.sop_instance_uid)
    if current:
        groups.append(current)
    return groups


def _part_head(boundary: bytes, size: int) -> bytes:
    return b"--" + boundary + b"\r\nContent-Type: application/dicom\r\nContent-Length: %d\r\n\r\n" % size


def body(items: Sequence[Outgoing], boundary: bytes) -> tuple[int, Iterator[bytes]]:
    """The multipart body's length and a generator of its bytes, read from disk as it goes."""
    length = sum(len(_part_head(boundary, item.size)) + item.size + 2 for item in items)
    length += len(boundary) + 6

    def pieces() -> Iterator[bytes]:
        for item in items:
            yield _part_head(boundary, item.size)
            left = item.size
            with open(item.path, "rb") as handle:
                while left > 0:
                    piece = handle.read(min(PIECE, left))
                    if not piece:
                        raise Unavailable(_("A file changed while it was being sent; it will be sent again."))
                    left -= len(piece)
                    yield piece
            yield b"\r\n"
        yield b"--" + boundary + b"--\r\n"

    return length, pieces()


def store(
    wire: Transport,
    items: Sequence[Outgoing],
    *,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    retries: int,
    backoff: float,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Result]:
    """Send ``items`` (one request, or more after a 413) and return each one's result by its
    key. ``Unavailable`` when the server cannot be reached after ``retries`` more tries: the
    files have no outcome then, and are sent again later."""
    if not items:
        return {}
    for attempt in range(retries + 1):
        boundary = secrets.token_hex(16).encode("ascii")
        length, pieces = body(items, boundary)
        sent = {
            **headers,
            "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary.decode()}',
            "Content-Length": str(length),
            "Accept": "application/dicom+json",
        }
        try:
            response = wire.request("POST", "", params=params, headers=sent, content=pieces, answers=ANSWERS)
        except Unavailable:
            if attempt == retries:
                raise
            sleep(min(backoff * 2**attempt, 10.0))
            continue
        except (InvalidInput, Forbidden, NotFound, Unsupported) as refused:
            reason = _refusal(refused)
            return {item.key: Result(t.UploadOutcome.REJECTED, reason) for item in items}
        if response.status_code == 413:
            return _split(wire, items, params, headers, retries, backoff, sleep, response.headers.get("X-Error-Reason"))
        return read_answer(items, _json(response))
    raise AssertionError("unreachable")


def _split(
    wire: Transport,
    items: Sequence[Outgoing],
    params: Mapping[str, str],
    headers: Mapping[str, str],
    retries: int,
    backoff: float,
    sleep: Callable[[float], None],
    reason: str | None,
) -> dict[str, Result]:
    if len(items) == 1:
        text = reason or _("The file is larger than the image server takes.")
        return {items[0].key: Result(t.UploadOutcome.REJECTED, text)}
    half = len(items) // 2
    results = store(wire, items[:half], params=params, headers=headers, retries=retries, backoff=backoff, sleep=sleep)
    rest = store(wire, items[half:], params=params, headers=headers, retries=retries, backoff=backoff, sleep=sleep)
    return {**results, **rest}


def _refusal(error: InvalidInput | Forbidden | NotFound | Unsupported) -> str:
    if isinstance(error, InvalidInput):
        messages = [str(m) for values in error.field_errors.values() for m in _as_list(values)]
        return " ".join(messages) or _("The image server refused the files.")
    return str(error) or _("The image server refused the files.")


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _json(response: Any) -> Mapping[str, Any]:
    try:
        answer = response.json() if response.content else {}
    except ValueError:
        raise Unavailable(_("The image server sent an answer that could not be read.")) from None
    return answer if isinstance(answer, Mapping) else {}


def _items(answer: Mapping[str, Any], tag: str) -> list[Mapping[str, Any]]:
    value = answer.get(tag, {})
    values = value.get("Value", []) if isinstance(value, Mapping) else []
    return [item for item in values if isinstance(item, Mapping)] if isinstance(values, list) else []


def _first(item: Mapping[str, Any], tag: str) -> Any:
    value = item.get(tag, {})
    values = value.get("Value", []) if isinstance(value, Mapping) else []
    return values[0] if isinstance(values, list) and values else None


def read_answer(items: Sequence[Outgoing], answer: Mapping[str, Any]) -> dict[str, Result]:
    """Each file's result from a Store Instances Response, matched by SOP Instance UID."""
    by_uid: dict[str, Result] = {}
    for item in _items(answer, "00081199"):
        warning, comment = _first(item, "00081196"), read_comment(item, ERROR_COMMENT)
        if warning == DUPLICATE_CODE:
            by_uid[str(_first(item, "00081155") or "")] = Result(t.UploadOutcome.DUPLICATE)
            continue
        warnings = (comment or _("The image server changed the instance when it stored it."),) if warning else ()
        by_uid[str(_first(item, "00081155") or "")] = Result(t.UploadOutcome.STORED, warnings=warnings)
    for item in _items(answer, "00081198"):
        code, comment = _first(item, "00081197"), read_comment(item, ERROR_COMMENT)
        outcome = t.UploadOutcome.CONFLICT if code == CONFLICT_CODE else t.UploadOutcome.REJECTED
        reason = comment or _failure_sentence(code)
        by_uid[str(_first(item, "00081155") or "")] = Result(outcome, reason)
    lost = Result(t.UploadOutcome.REJECTED, _("The image server did not say that it stored this file."))
    return {item.key: by_uid.get(item.sop_instance_uid, lost) for item in items}


def _failure_sentence(code: object) -> str:
    if code == CONFLICT_CODE:
        return _("A different image with the same SOP Instance UID is already stored.")
    if code == 0xA900:
        return _("The image does not belong to the study it was sent to.")
    if isinstance(code, int) and 0xC000 <= code <= 0xCFFF:
        return _("The image server could not read this file as a DICOM instance.")
    return _("The image server could not store this file (status %(code)s).") % {"code": code}
