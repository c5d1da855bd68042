"""Turning a queryset into a ``Page`` of types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import QuerySet

from postdicom.types import PAGE_NUMBER_MAX, Page

T = TypeVar("T")

MAX_PAGE_SIZE = 500


def paginate(rows: QuerySet[Any], number: int, size: int, to_type: Callable[[Any], T]) -> Page[T]:
    """Page ``number`` (from 1) of ``rows``; out-of-range numbers give the last page."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    total = rows.count()
    last = max(1, -(-total // size))
    number = min(max(1, number), last, PAGE_NUMBER_MAX)
    start = (number - 1) * size
    items = tuple(to_type(row) for row in rows[start : start + size])
    return Page(items=items, total=total, number=number, size=size)
