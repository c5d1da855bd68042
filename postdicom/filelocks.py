"""Locks on files that a process holds while it works, released by the kernel when the
process dies (``flock``).

``held``: exclusive, taken without waiting: one worker at a time on one machine.
``held_once``: the same, for lock files made per job (one per upload item), removed by the
holder when it lets go so that none is left behind. ``shared``:
taken by many at once, waiting while someone holds it exclusively (writers of a staged upload
share its lock; the cleaner that removes an abandoned one holds it alone, briefly).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def held(path: Path) -> Iterator[bool]:
    """Yield True while this process holds the lock on ``path`` (made if missing), False when
    another one does."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def held_once(path: Path) -> Iterator[bool]:
    """``held``, and the file is removed when the lock is let go (or, left by a dead holder,
    by the next one to take it). Removed while still held, so the file at ``path`` is only
    ever locked by the one holder: someone who opened it just before it went away finds, once
    they have the lock, that ``path`` is no longer (or another) file, and starts again on the
    file at ``path``, the one the others lock too."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if _is_at(fd, path):
                    yield False
                    return
                continue  # its holder removed it in the meantime: try the file now at ``path``
            if not _is_at(fd, path):
                continue
            try:
                yield True
            finally:
                os.unlink(path)
            return
        finally:
            os.close(fd)  # and with it the lock


def _is_at(fd: int, path: Path) -> bool:
    """Whether the open file ``fd`` is still the file at ``path``."""
    try:
        linked = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (linked.st_dev, linked.st_ino) == (opened.st_dev, opened.st_ino)


@contextmanager
def shared(path: Path) -> Iterator[bool]:
    """Yield True while this process shares the lock on ``path`` (made if missing), after
    waiting for an exclusive holder to let go; False, holding nothing, when the folder of
    ``path`` does not exist."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:
        yield False
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield True
    finally:
        os.close(fd)  # and with it the lock
