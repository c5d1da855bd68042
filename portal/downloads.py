"""Serving a stored file: whole, or the one byte range the browser asked for.

Browsers ask ``<video>`` for ranges (``Range: bytes=…``) to read an MP4's index and to seek;
download managers resume with them. ``file_response`` answers (RFC 9110 §14):

* no ``Range``, a malformed one, several ranges, or an ``If-Range`` (the response carries no
  validator, so it can never match): the whole file, ``200``, with ``Accept-Ranges: bytes``;
* one satisfiable range (``bytes=a-b``, ``bytes=a-``, ``bytes=-n``): ``206`` with
  ``Content-Range: bytes a-b/size`` and only those bytes;
* one range that starts past the end (or ``bytes=-0``): ``416`` with
  ``Content-Range: bytes */size``.

The file is read in pieces, from the range's start (``open_stored`` handles make that seek
free even on S3); nothing is read into memory whole. The caller sets the type, the
disposition's file name and any security headers; ranges never change them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

PIECE = 1 << 16  # bytes per piece sent (FileResponse's own block size)

_SINGLE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
#: Longer headers are not one range of a real file (and not worth parsing).
_HEADER_LIMIT = 100


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start`` to ``end`` inclusive, as ``Content-Range`` counts them."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    """The range starts at or past the end of the file."""


def parse_range(header: str, size: int) -> ByteRange | None:
    """The one range ``header`` asks of a file of ``size`` bytes; None to send the whole file
    (no header, a malformed one, several ranges); ``Unsatisfiable`` for a range past the end."""
    header = header.strip()
    if not header or len(header) > _HEADER_LIMIT:
        return None
    match = _SINGLE_RANGE.fullmatch(header.replace(" ", ""))
    if match is None:  # not bytes=, several ranges, garbage
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last n bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(size - suffix, 0), size - 1)
    start = int(first)
    if last and int(last) < start:  # a syntactically invalid range: the header is ignored
        return None
    if start >= size:
        raise Unsatisfiable
    return ByteRange(start, min(int(last), size - 1) if last else size - 1)


def _size_of(handle: IO[bytes]) -> int:
    position = handle.tell()
    size = handle.seek(0, io.SEEK_END)
    handle.seek(position)
    return size


def _pieces(handle: IO[bytes], length: int) -> Iterator[bytes]:
    """``length`` bytes of ``handle`` from where it stands, in pieces; closes it when done
    (or when the response is closed early: the client went away)."""
    try:
        remaining = length
        while remaining > 0:
            piece = handle.read(min(PIECE, remaining))
            if not piece:
                break
            remaining -= len(piece)
            yield piece
    finally:
        handle.close()


def file_response(
    request: HttpRequest, handle: IO[bytes], *, filename: str, content_type: str, as_attachment: bool
) -> HttpResponseBase:
    """The whole file (200), the asked range (206) or 416 (see the module docstring).
    ``handle`` must be seekable; the response closes it."""
    size = _size_of(handle)
    header = request.META.get("HTTP_RANGE", "")
    wanted: ByteRange | None = None
    if header and request.method in ("GET", "HEAD") and "HTTP_IF_RANGE" not in request.META:
        try:
            wanted = parse_range(header, size)
        except Unsatisfiable:
            handle.close()
            refused = HttpResponse(status=416, content_type=content_type)
            refused["Content-Range"] = f"bytes */{size}"
            refused["Accept-Ranges"] = "bytes"
            return refused
    response: HttpResponseBase
    if wanted is None:
        response = FileResponse(handle, as_attachment=as_attachment, filename=filename, content_type=content_type)
    else:
        handle.seek(wanted.start)
        response = StreamingHttpResponse(_pieces(handle, wanted.length), status=206, content_type=content_type)
        response["Content-Length"] = str(wanted.length)
        response["Content-Range"] = f"bytes {wanted.start}-{wanted.end}/{size}"
        disposition = content_disposition_header(as_attachment, filename)
        if disposition:
            response["Content-Disposition"] = disposition
    response["Accept-Ranges"] = "bytes"
    return response
