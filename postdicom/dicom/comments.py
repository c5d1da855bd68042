"""A sentence in a DICOM text element that has a length limit, kept whole all the same.

Rayport writes why it refused or changed an instance into the STOW-RS answer's ErrorComment
(0000,0902), an LO: at most 64 characters, and a reason naming a UID is longer. A longer
value makes pydicom warn on every element it reads (and a strict reader refuse it), so the
element holds the sentence cut to its VR's length, and the whole sentence goes into a private
element of Rayport's block, (0009,1001) UT under the private creator "RAYPORT 1" at
(0009,0010). Readers that know the block (:func:`read_comment`, the cloud backend) take the
whole sentence; any other reader has a valid, shorter one. Nothing here touches pydicom: the
elements are DICOM JSON (PS3.18 F.2), as the answers are written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: ErrorComment (PS3.7 Table E.1-1): the words of a status, next to its code.
ERROR_COMMENT = "00000902"
#: The private creator of Rayport's block in group 0009, and where the whole text goes.
PRIVATE_CREATOR = "RAYPORT 1"
CREATOR_TAG = "00090010"
FULL_TEXT_TAG = "00091001"

#: Maximum value length, in characters, of the text VRs (PS3.5 Table 6.2-1).
MAX_LENGTH = {"SH": 16, "LO": 64, "ST": 1024, "LT": 10240}
#: The mark at the end of a cut value.
CUT = "…"


def fit(text: str, vr: str) -> str:
    """``text`` as a valid ``vr`` value: SH and LO, single values, take no backslash (the
    value separator) nor line breaks; cut to the VR's length, ending in "…" when cut."""
    if vr not in MAX_LENGTH:
        raise ValueError(f"{vr} is not a text VR with a length limit")
    if vr in ("SH", "LO"):
        text = " ".join(text.replace("\\", "/").split())
    limit = MAX_LENGTH[vr]
    if len(text) <= limit:
        return text
    return text[: limit - len(CUT)].rstrip() + CUT


def comment(tag: str, vr: str, text: str) -> dict[str, Any]:
    """DICOM JSON elements giving ``text`` at ``tag``: the element itself with the fitted
    value, plus, when that is not the whole text, the private block holding all of it.
    Nothing for an empty text."""
    if not text:
        return {}
    value = fit(text, vr)
    elements: dict[str, Any] = {tag: {"vr": vr, "Value": [value]}}
    if value != text:
        elements[CREATOR_TAG] = {"vr": "LO", "Value": [PRIVATE_CREATOR]}
        elements[FULL_TEXT_TAG] = {"vr": "UT", "Value": [text]}
    return elements


def read_comment(item: Mapping[str, Any], tag: str) -> str:
    """The text at ``tag`` of a DICOM JSON item, whole when Rayport's private block has it."""
    if _first(item, CREATOR_TAG) == PRIVATE_CREATOR:
        full = _first(item, FULL_TEXT_TAG)
        if isinstance(full, str) and full:
            return full
    value = _first(item, tag)
    return value if isinstance(value, str) else ""


def _first(item: Mapping[str, Any], tag: str) -> object:
    element = item.get(tag)
    values = element.get("Value") if isinstance(element, Mapping) else None
    return values[0] if isinstance(values, list) and values else None
