"""Person names (VR PN) as people read them.

DICOM stores ``Family^Given^Middle^Prefix^Suffix``, up to three times: alphabetic,
ideographic and phonetic, separated by ``=`` (``Yamada^Tarou=山田^太郎=やまだ^たろう``).
:func:`readable_name` turns that into ``Yamada, Tarou (山田, 太郎 / やまだ, たろう)``: the first
non-empty group as "Last, First Middle", the other groups in brackets.
"""

from __future__ import annotations


def _readable_group(group: str) -> str:
    parts = [part.strip() for part in group.split("^")]
    parts += [""] * (5 - len(parts))
    family, given, middle, prefix, suffix = parts[:5]
    first = " ".join(part for part in (prefix, given, middle) if part)
    text = f"{family}, {first}" if family and first else family or first
    if suffix:
        text = f"{text}, {suffix}" if text else suffix
    return text


def readable_name(stored: str) -> str:
    """``LAST^FIRST^MIDDLE`` (with optional ``=`` groups) as "LAST, FIRST MIDDLE"."""
    groups = [_readable_group(group) for group in stored.split("=")[:3]]
    groups = [group for group in groups if group]
    if not groups:
        return ""
    if len(groups) == 1:
        return groups[0]
    return f"{groups[0]} ({' / '.join(groups[1:])})"
