"""Turning a queryset into a ``Page`` of types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import QuerySet

from postdicom.types import PAGE_NUMBER_MAX, Page

T = TypeVar("T")

MAX_PAGE_SIZE = 500


def paginate(
    rows: QuerySet[Any],
    number: int,
    size: int,
    to_type: Callable[[Any], T],
    *,
    count_up_to: int | None = None,
    fetch: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None,
) -> Page[T]:
    """Page ``number`` (from 1) of ``rows``; out-of-range numbers give the last page.

    With ``count_up_to``, counting stops there (``COUNT`` over a ``LIMIT``, which stays fast
    at millions of rows) and the page says that more match. ``fetch`` adds what only the
    page's rows need (``select_related``), so the count does not pay for it."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    if count_up_to is None:
        total, more = rows.count(), False
    else:
        counted = rows.order_by()[: count_up_to + 1].count()  # any count_up_to + 1 rows will do
        total, more = min(counted, count_up_to), counted > count_up_to
    last = max(1, -(-total // size))
    number = min(max(1, number), last, PAGE_NUMBER_MAX)
    start = (number - 1) * size
    shown = fetch(rows) if fetch is not None else rows
    items = tuple(to_type(row) for row in shown[start : start + size])
    return Page(items=items, total=total, number=number, size=size, total_is_lower_bound=more)
