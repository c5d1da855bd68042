"""The staged files on disk: where they are, how bytes reach them, and their locks.

A file's bytes received are its size on disk. Bytes are written only under the file's lock
(``fcntl.flock``, taken without waiting: a request that finds the file busy writes nothing and
the browser continues from what the file holds), and only at the end of what is there, so two
requests sending the same bytes cannot both append them. A whole file stays locked until the
backend has taken it, so it is handed over once.

Every request that writes into a batch also shares the batch's lock (``writing``), which the
cleaner of abandoned batches takes alone (``cleanup``): it never removes a batch while a
request is in it, and a request that waited for it finds the batch closed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID

from django.conf import settings

from postdicom import filelocks
from postdicom.contract import Readable

#: The batch's lock, in its folder (a name no staged file has: theirs are UUIDs).
BATCH_LOCK = ".lock"

#: Bytes are read from the request and written to disk in pieces of this size.
PIECE = 1 << 20


def batch_dir(batch_id: UUID) -> Path:
    return Path(settings.RAYPORT_STAGING_DIR) / str(batch_id)


def file_path(batch_id: UUID, file_id: UUID) -> Path:
    return batch_dir(batch_id) / str(file_id)


def batch_lock(batch_id: UUID) -> Path:
    return batch_dir(batch_id) / BATCH_LOCK


@contextlib.contextmanager
def writing(batch_id: UUID) -> Iterator[bool]:
    """The batch's lock, shared with the other requests writing into it (waiting while the
    cleaner holds it); False, and no lock, when the batch has no folder (finished, cleared,
    or taken on here and not written into yet)."""
    with filelocks.shared(batch_lock(batch_id)) as locked:
        yield locked


def last_written(batch_id: UUID) -> float | None:
    """When bytes last reached a file of the batch (seconds since the epoch); None for none."""
    try:
        entries = list(os.scandir(batch_dir(batch_id)))
    except FileNotFoundError:
        return None
    times = []
    for entry in entries:
        if not entry.name.startswith("."):
            with contextlib.suppress(FileNotFoundError):  # handed over meanwhile
                times.append(entry.stat().st_mtime)
    return max(times, default=None)


def size_on_disk(path: Path) -> int:
    """Bytes received so far (0 before the first ones)."""
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


class Body:
    """A request body read in ``PIECE``-sized reads, whatever the sizes of the parts in it,
    and handed out as slices of the piece in hand: one read per MiB instead of one per part
    (a server's buffers copy what they hold back at every read, so many small reads of a
    16 MB body cost more than the bytes themselves). Holds one piece at a time."""

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self._piece = memoryview(b"")

    def read(self, size: int) -> memoryview:
        """At most ``size`` bytes; empty at the end of the body."""
        if not self._piece:
            self._piece = memoryview(self._stream.read(PIECE))
        taken, self._piece = self._piece[:size], self._piece[size:]
        return taken


def drain(body: Body, length: int, write: Callable[[memoryview], object] = lambda _piece: None) -> int:
    """Hand up to ``length`` bytes of ``body`` to ``write``; return how many arrived."""
    taken = 0
    while taken < length:
        piece = body.read(length - taken)
        if not piece:
            break
        write(piece)
        taken += len(piece)
    return taken


class Locked:
    """A staged file opened for writing and locked; ``None`` from ``lock`` when another
    request holds it or it was handed over (gone) meanwhile."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self.fd = path, fd

    @classmethod
    def lock(cls, path: Path, *, wait: bool = False) -> Locked | None:
        try:
            # Made if missing: a file not handed over (the caller checked) that is not on disk
            # has no bytes (its folder was cleared, or the backend took it and the request died
            # before saying so: then the browser sends it again and it is a duplicate).
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        except FileNotFoundError:  # the batch's folder is gone: finished
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.fstat(fd).st_nlink == 0:  # handed over while we waited
                raise BlockingIOError
        except BlockingIOError:
            os.close(fd)
            return None
        return cls(path, fd)

    @property
    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def append(self, body: Body, length: int) -> int:
        """Write up to ``length`` bytes of ``body`` at the end; how many arrived."""
        os.lseek(self.fd, 0, os.SEEK_END)
        return drain(body, length, self._write)

    def _write(self, piece: memoryview) -> None:
        while piece:
            piece = piece[os.write(self.fd, piece) :]

    def close(self) -> None:
        os.close(self.fd)  # and with it the lock
