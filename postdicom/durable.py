"""Making what was written to local disk last through a power cut: a file's bytes are synced
with ``os.fsync`` on its handle; its name lasts once the folder holding it is synced too
(a new or renamed entry is only as durable as its folder)."""

from __future__ import annotations

import os


def sync_directory(path: str | os.PathLike[str]) -> None:
    """Sync the folder ``path``: the names made or renamed in it are on the disk."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
