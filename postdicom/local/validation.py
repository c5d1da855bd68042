"""Checks shared by the embedded backend's write methods; each raises ``InvalidInput``."""

from __future__ import annotations

import re
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.db.models.functions import Length
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


M = TypeVar("M", bound=Model)


def same_name(a: str, b: str) -> bool:
    """Whether two names are the same ignoring case, accented capitals included."""
    return a.casefold() == b.casefold()


def named(rows: QuerySet[M], name: str, *, field: str = "name") -> list[M]:
    """The rows whose ``field`` is ``name`` ignoring case, accented capitals included ("ÁVILA"
    is "ávila") on every database. SQLite's ``LIKE`` (Django's ``iexact``) and ``lower()``
    fold only ASCII letters, so the rows whose name has as many characters are read and
    compared here; PostgreSQL would have matched them in the query."""
    candidates = rows.annotate(_name_length=Length(field)).filter(_name_length=len(name))
    return [row for row in candidates if same_name(getattr(row, field), name)]


def ensure_unique_name(rows: QuerySet[Model], name: str, *, field: str = "name", exclude_pk: object = None) -> None:
    """Refuse ``name`` when another row in ``rows`` has it, ignoring case (``named``)."""
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    if named(rows, name):
        raise InvalidInput({field: _("“%(name)s” is already taken.") % {"name": name}})


_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def clean_color(value: str, *, field: str = "color") -> str:
    """``#rrggbb``, lower-cased. ``fullmatch``: ``$`` would let a trailing newline through."""
    if not _COLOR.fullmatch(value or ""):
        raise InvalidInput({field: _("Choose a colour like #1a7f37.")})
    return value.lower()
