"""What reached the disk before which statement: every ``os.fsync`` (from any thread, by the
inode synced) and every SQL statement, in the order they happened."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection


class DiskOrder:
    def __init__(self) -> None:
        self.events: list[int | str] = []

    def synced_before(self, paths: list[Path], statement: str) -> bool:
        """Every one of ``paths`` was synced before the first statement containing ``statement``."""
        first = next(n for n, event in enumerate(self.events) if isinstance(event, str) and statement in event)
        return {path.stat().st_ino for path in paths} <= set(self.events[:first])


@contextmanager
def disk_order(monkeypatch: pytest.MonkeyPatch) -> Iterator[DiskOrder]:
    order = DiskOrder()
    real = os.fsync

    def fsync(fd: int) -> None:
        order.events.append(os.fstat(fd).st_ino)
        real(fd)

    def statement(execute, sql, params, many, context):
        order.events.append(sql)
        return execute(sql, params, many, context)

    monkeypatch.setattr(os, "fsync", fsync)
    with connection.execute_wrapper(statement):
        yield order
