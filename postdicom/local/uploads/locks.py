"""One worker at a time per upload item, and a dead worker's lock dies with it.

On PostgreSQL a session advisory lock keyed by the item's primary key: when a worker is
killed its connection closes and the lock is gone, so the item can be redone at once. On
SQLite (the embedded default, one machine) an ``flock`` on a lock file does the same; the file
goes when the lock does (``filelocks.held_once``), or one file per item ever stored would pile
up in the lock folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from postdicom import filelocks

_NAMESPACE = 0x52415950  # "RAYP": keeps these locks apart from any other advisory lock user


@contextmanager
def item_lock(item_pk: int) -> Iterator[bool]:
    """Yield True while this process holds the item's lock, False when another one does."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_NAMESPACE, item_pk % 2**31])
            got = bool(cursor.fetchone()[0])
        try:
            yield got
        finally:
            if got:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_NAMESPACE, item_pk % 2**31])
        return
    folder = Path(settings.RAYPORT_UPLOAD_DIR) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with filelocks.held_once(folder / f"item-{item_pk}.lock") as got:
        yield got


@contextmanager
def item_locks(item_pks: list[int]) -> Iterator[set[int]]:
    """Lock many items at once (two statements on PostgreSQL); yield the pks this process
    holds. Items held by another worker are left out."""
    if not item_pks:
        yield set()
        return
    if connection.vendor == "postgresql":
        keys = [pk % 2**31 for pk in item_pks]
        with connection.cursor() as cursor:
            cursor.execute("SELECT k FROM unnest(%s::int[]) AS k WHERE pg_try_advisory_lock(%s, k)", [keys, _NAMESPACE])
            locked = {int(row[0]) for row in cursor.fetchall()}
        got = {pk for pk in item_pks if pk % 2**31 in locked}
        try:
            yield got
        finally:
            if locked:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_advisory_unlock(%s, k) FROM unnest(%s::int[]) AS k", [_NAMESPACE, sorted(locked)]
                    )
        return
    with ExitStack() as stack:
        held = set()
        for pk in item_pks:
            if stack.enter_context(item_lock(pk)):
                held.add(pk)
        yield held
