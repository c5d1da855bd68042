"""Reading ``Accept`` and writing ``multipart/related`` bodies (PS3.18 §8.7, RFC 2387).

``accepted(request)`` lists what the client accepts, in its order of preference (``q``
values, then the order given); no header means ``*/*``. A ``multipart/related`` entry is
described by its ``type`` parameter, so ``multipart/related; type="application/dicom";
transfer-syntax=*`` reads as ``application/dicom`` with transfer syntax ``*``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class Accepted:
    media_type: str  # lower case; "*/*" for anything
    transfer_syntax: str | None  # None: not said; "*": any
    multipart: bool

    def allows(self, media_type: str) -> bool:
        """Whether this entry covers ``media_type`` (wildcards ``*/*`` and ``image/*``)."""
        if self.media_type in ("*/*", "*", media_type):
            return True
        major, _slash, minor = self.media_type.partition("/")
        return minor == "*" and media_type.startswith(f"{major}/")

    def allows_syntax(self, syntax: str) -> bool:
        return self.transfer_syntax in (None, "*", syntax)


def _params(parts: list[str]) -> dict[str, str]:
    params = {}
    for part in parts:
        name, _eq, value = part.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return params


def accepted(request: HttpRequest) -> list[Accepted]:
    header = request.headers.get("Accept", "").strip() or "*/*"
    ranked: list[tuple[float, int, Accepted]] = []
    for position, item in enumerate(header.split(",")):
        media_type, *rest = [piece.strip() for piece in item.split(";")]
        if not media_type:
            continue
        params = _params(rest)
        try:
            quality = float(params.get("q", "1"))
        except ValueError:
            quality = 1.0
        if quality <= 0:
            continue
        media_type = media_type.lower()
        multipart = media_type in ("multipart/related", "multipart/*")
        if multipart:
            media_type = params.get("type", "*/*").lower() or "*/*"
        ranked.append((-quality, position, Accepted(media_type, params.get("transfer-syntax"), multipart)))
    return [entry for _q, _p, entry in sorted(ranked, key=lambda r: (r[0], r[1]))]


def first_allowed(request: HttpRequest, offered: Iterable[str]) -> str | None:
    """The first of ``offered`` media types the client accepts, by the client's preference."""
    choices = list(offered)
    for entry in accepted(request):
        for media_type in choices:
            if entry.allows(media_type):
                return media_type
    return None


def new_boundary() -> str:
    return f"rayport-{secrets.token_hex(12)}"


def multipart_body(boundary: str, parts: Iterable[tuple[str, Iterable[bytes]]]) -> Iterator[bytes]:
    """``parts`` (content type, pieces) as one multipart body, piece by piece."""
    for content_type, pieces in parts:
        yield f"--{boundary}\r\nContent-Type: {content_type}\r\n\r\n".encode()
        yield from pieces
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def multipart_type(boundary: str, part_type: str, transfer_syntax: str | None = None) -> str:
    syntax = f"; transfer-syntax={transfer_syntax}" if transfer_syntax else ""
    return f'multipart/related; type="{part_type}"{syntax}; boundary={boundary}'
