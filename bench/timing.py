"""Timing helpers shared by the database benchmarks: wall time, SQL time and query counts."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection


@dataclass
class Timing:
    """Milliseconds of wall and SQL time, and statements, one entry per measured call."""

    wall: list[float] = field(default_factory=list)
    sql: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    rows: int = 0


@contextmanager
def sql_clock(timing: Timing) -> Iterator[None]:
    """Time the block, and every SQL statement it runs, into ``timing``."""
    spent: list[float] = []

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append(time.perf_counter() - start)

    started = time.perf_counter()
    with connection.execute_wrapper(wrapper):
        yield
    timing.wall.append((time.perf_counter() - started) * 1000)
    timing.sql.append(sum(spent) * 1000)
    timing.queries.append(len(spent))


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
