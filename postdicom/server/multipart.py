"""Reading a ``multipart/related`` request body (RFC 2046 §5.1, RFC 2387) as it arrives.

STOW-RS bodies can be gigabytes: the body is read from the request stream in ``PIECE``-sized
reads and each part's content is written to a file of its own as it goes. At most one piece
plus a boundary's length is held at any time; nothing is ever read whole. The body's size
is counted as it is read and the reading stops with ``TooLarge`` once it passes the limit,
whatever ``Content-Length`` claimed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.utils.translation import gettext as _

from postdicom.contract import Readable

#: Bytes read from the request at a time.
PIECE = 1024 * 1024
#: The headers of one part may take at most this many bytes.
HEADERS_MAX = 16 * 1024


class MultipartError(Exception):
    """The body is not the multipart message it claims to be; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TooLarge(Exception):
    """The body passed the size limit; nothing after the limit was read."""


@dataclass
class Part:
    """One part, saved to ``path``; ``headers`` with lower-case names."""

    index: int
    path: Path
    headers: dict[str, str] = field(default_factory=dict)
    size: int = 0

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def media_type_parameters(value: str) -> tuple[str, dict[str, str]]:
    """``multipart/related; type="application/dicom"; boundary=x`` → the media type (lower
    case) and its parameters (names lower case, quotes removed)."""
    media, *rest = _split_unquoted(value, ";")
    params: dict[str, str] = {}
    for item in rest:
        name, equals, raw = item.partition("=")
        if not equals:
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace('\\"', '"')
        params[name.strip().lower()] = raw
    return media.strip().lower(), params


def _split_unquoted(value: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


class _Reader:
    """The request body in a buffer of at most a piece and a boundary, counted against ``limit``."""

    def __init__(self, stream: Readable, limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self.total = 0
        self.buffer = bytearray()
        self.ended = False

    def more(self) -> bool:
        """Read one more piece into the buffer; False at the end of the body."""
        if self.ended:
            return False
        piece = self.stream.read(PIECE)
        if not piece:
            self.ended = True
            return False
        self.total += len(piece)
        if self.total > self.limit:
            raise TooLarge
        self.buffer += piece
        return True


def save_parts(stream: Readable, boundary: str, folder: Path, *, limit: int, max_parts: int) -> list[Part]:
    """Write each part of the body in ``stream`` to ``folder/part-<n>``; the parts in order.

    ``MultipartError`` for a body that is not a multipart message with this ``boundary`` (no
    opening or closing boundary, headers too long) or with more than ``max_parts`` parts;
    ``TooLarge`` past ``limit`` bytes. Files already written are left for the caller (who
    owns ``folder``) to remove."""
    if not boundary or len(boundary) > 200:
        raise MultipartError(_("The multipart body needs a boundary of 1 to 200 characters."))
    reader = _Reader(stream, limit)
    opening = b"--" + boundary.encode("latin-1")
    separator = b"\r\n" + opening
    parts: list[Part] = []
    # The preamble, if any, up to the first boundary (which may open the body without a CRLF).
    at = _find(reader, opening, 0, drop=True)
    if at < 0:
        raise MultipartError(_("The body has no multipart boundary %(boundary)s.") % {"boundary": boundary})
    del reader.buffer[: at + len(opening)]
    while True:
        if _closing(reader):
            return parts
        if len(parts) >= max_parts:
            raise MultipartError(_("Send at most %(n)d instances in one request.") % {"n": max_parts})
        part = Part(index=len(parts) + 1, path=folder / f"part-{len(parts) + 1:05d}")
        part.headers = _headers(reader)
        part.size = _body(reader, separator, part.path)
        parts.append(part)


def _find(reader: _Reader, needle: bytes, start: int, *, drop: bool = False) -> int:
    """Where ``needle`` is in the buffer, reading more as needed; -1 at the end of the body.
    With ``drop`` (a preamble, which is ignored), what was searched is let go as it goes."""
    while True:
        at = reader.buffer.find(needle, start)
        if at >= 0:
            return at
        start = max(0, len(reader.buffer) - len(needle) + 1)
        if drop:
            del reader.buffer[:start]
            start = 0
        elif len(reader.buffer) > HEADERS_MAX + PIECE:
            return -1  # headers or a boundary's line that never end
        if not reader.more():
            return -1


def _need(reader: _Reader, count: int) -> bool:
    while len(reader.buffer) < count:
        if not reader.more():
            return False
    return True


def _closing(reader: _Reader) -> bool:
    """Just after a boundary: True for the closing one (``--``), else skip to its line end."""
    if not _need(reader, 2):
        raise MultipartError(_("The multipart body ends without its closing boundary."))
    if reader.buffer[:2] == b"--":
        return True
    line_end = _find(reader, b"\r\n", 0)
    if line_end < 0 or reader.buffer[:line_end].strip(b" \t"):
        raise MultipartError(_("A multipart boundary is followed by something else than a line end."))
    del reader.buffer[: line_end + 2]
    return False


def _headers(reader: _Reader) -> dict[str, str]:
    if _need(reader, 2) and reader.buffer[:2] == b"\r\n":  # a part without headers
        del reader.buffer[:2]
        return {}
    end = _find(reader, b"\r\n\r\n", 0)
    if end < 0 or end > HEADERS_MAX:
        raise MultipartError(_("A part's headers are missing their end, or too long."))
    headers: dict[str, str] = {}
    for line in bytes(reader.buffer[:end]).decode("latin-1").split("\r\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    del reader.buffer[: end + 4]
    return headers


def _write(out: BinaryIO, buffer: bytearray, count: int) -> None:
    """The buffer's first ``count`` bytes to ``out``, without copying them first (a slice of a
    bytearray is a copy: a second pass over every byte of the body)."""
    with memoryview(buffer) as view, view[:count] as head:
        out.write(head)


def _body(reader: _Reader, separator: bytes, path: Path) -> int:
    """Write the part's content (up to the next boundary) to ``path``; its size."""
    size = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        start = 0
        while True:
            at = reader.buffer.find(separator, start)
            if at >= 0:
                _write(out, reader.buffer, at)
                size += at
                del reader.buffer[: at + len(separator)]
                return size
            keep = len(separator) - 1
            if len(reader.buffer) > keep:
                flushed = len(reader.buffer) - keep
                _write(out, reader.buffer, flushed)
                size += flushed
                del reader.buffer[:flushed]
            start = 0
            if not reader.more():
                raise MultipartError(_("The multipart body ends without its closing boundary."))
