"""Folder names and descriptions: what people type, cleaned, or refused with a clear message."""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext as _

from postdicom.collation import fold
from postdicom.errors import InvalidInput
from postdicom.types import FOLDER_DESCRIPTION_MAX, FOLDER_NAME_MAX


def _has_control(text: str, allowed: str = "") -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text)


def _clean_level(part: str) -> str:
    """One level's name: inner runs of spaces collapsed; too long or control characters refused."""
    name = " ".join(part.split())
    if len(name) > FOLDER_NAME_MAX:
        raise InvalidInput({"name": _("A folder name may have at most %(n)d characters.") % {"n": FOLDER_NAME_MAX}})
    if _has_control(name):
        raise InvalidInput({"name": _("A folder name cannot contain control characters.")})
    return name


def split_path(text: str) -> list[str]:
    """The levels of a name to create: "Cardiology/ 2026 //March" → ["Cardiology", "2026",
    "March"]. Refuses an empty name and one made only of slashes and spaces."""
    if not (text or "").strip():
        raise InvalidInput({"name": _("Enter a folder name.")})
    levels = [name for name in (_clean_level(part) for part in text.split("/")) if name]
    if not levels:
        raise InvalidInput({"name": _("A folder name cannot be made only of slashes and spaces.")})
    return levels


def clean_name(text: str) -> str:
    """A new name for one folder (renaming): one level, so "/" is refused."""
    if not (text or "").strip():
        raise InvalidInput({"name": _("Enter a folder name.")})
    if "/" in text:
        raise InvalidInput({"name": _("A folder name cannot contain “/”. To put a folder inside another, move it.")})
    return _clean_level(text)


def clean_description(text: str) -> str:
    """Trimmed; at most ``FOLDER_DESCRIPTION_MAX`` characters; lines and tabs allowed."""
    description = (text or "").strip()
    if len(description) > FOLDER_DESCRIPTION_MAX:
        raise InvalidInput({"description": _("Use at most %(n)d characters.") % {"n": FOLDER_DESCRIPTION_MAX}})
    if _has_control(description, allowed="\n\r\t"):
        raise InvalidInput({"description": _("Remove the control characters.")})
    return description


def search_key(text: str) -> str:
    """What name searches compare: without accents and case, spaces collapsed ("avila"
    finds "Ávila", as the folder lists sort them together)."""
    return " ".join(fold(text).split())
