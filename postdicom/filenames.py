"""Names of files and folders that people download: safe on Windows, macOS and Linux.

A document keeps the name its uploader gave it, and an archive is named after its patient;
either may hold anything a person can type. ``safe_name`` keeps letters of every script
(ZIP entry names are stored as UTF-8) and replaces what a file system refuses: the
characters ``< > : " / \\ | ? *``, control characters, trailing dots and spaces, and
Windows' reserved device names (``CON``, ``NUL``, ``COM1``…, with or without an extension).
"""

from __future__ import annotations

import re
import unicodedata

#: The longest component, in characters (Windows allows 255; leave room for " (2)").
NAME_MAX = 120

_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)


def safe_name(name: str, *, fallback: str = "file") -> str:
    """``name`` as one path component that every common file system accepts."""
    text = unicodedata.normalize("NFC", name)
    text = "".join(" " if unicodedata.category(c) in ("Zl", "Zp", "Cc") else c for c in text)
    text = _FORBIDDEN.sub("_", text)
    text = " ".join(text.split()).strip(" .")
    if _RESERVED.match(text):
        text = f"_{text}"
    if len(text) > NAME_MAX:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            text = stem[: NAME_MAX - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            text = text[:NAME_MAX].rstrip(" .")
    return text or fallback


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``… before its extension when ``taken`` holds it
    (compared ignoring case, as Windows and macOS do); the result is added to ``taken``."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, dot, extension = name, "", ""
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{stem} ({number}){dot}{extension}"
    taken.add(candidate.casefold())
    return candidate
