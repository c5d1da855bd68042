"""What reached the disk before which statement: every ``os.fsync`` (from any thread, by the
inode synced), every SQL statement and every ``os.replace`` (``"replace <target>"``), in the
order they happened."""

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
        return _inodes(paths) <= set(self.events[: self._at(statement)[0]])

    def synced_after(self, paths: list[Path], statement: str) -> bool:
        """Every one of ``paths`` was synced after the last statement containing ``statement``."""
        return _inodes(paths) <= set(self.events[self._at(statement)[-1] + 1 :])

    def _at(self, statement: str) -> list[int]:
        """Where the statements containing ``statement`` are (at least one)."""
        found = [n for n, event in enumerate(self.events) if isinstance(event, str) and statement in event]
        assert found, f"no statement containing {statement!r}"
        return found


def _inodes(paths: list[Path]) -> set[int]:
    return {path.stat().st_ino for path in paths}


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

    renamed = os.replace

    def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        renamed(source, target)
        order.events.append(f"replace {os.fspath(target)}")

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    with connection.execute_wrapper(statement):
        yield order
