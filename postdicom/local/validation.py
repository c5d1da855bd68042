"""Checks shared by the embedded backend's write methods; each raises ``InvalidInput``."""

from __future__ import annotations

import re

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from postdicom.errors import InvalidInput


def clean_name(value: str, *, field: str = "name", max_length: int = 120) -> str:
    """A required one-line name: trimmed, not blank, not too long."""
    cleaned = " ".join((value or "").split())
    if not cleaned:
        raise InvalidInput({field: _("This field is required.")})
    if len(cleaned) > max_length:
        raise InvalidInput({field: _("Use at most %(n)d characters.") % {"n": max_length}})
    return cleaned


def ensure_unique_name(rows: QuerySet[Model], name: str, *, field: str = "name", exclude_pk: object = None) -> None:
    """Refuse ``name`` when another row in ``rows`` has it, ignoring case."""
    clash = rows.filter(name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise InvalidInput({field: _("“%(name)s” is already taken.") % {"name": name}})


_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def clean_color(value: str, *, field: str = "color") -> str:
    """``#rrggbb``, lower-cased. ``fullmatch``: ``$`` would let a trailing newline through."""
    if not _COLOR.fullmatch(value or ""):
        raise InvalidInput({field: _("Choose a colour like #1a7f37.")})
    return value.lower()
