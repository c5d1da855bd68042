"""Locks on files that a process holds while it works, released by the kernel when the
process dies (``flock``).

``held``: exclusive, taken without waiting: one worker at a time on one machine. ``shared``:
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
