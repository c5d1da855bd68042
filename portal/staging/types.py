"""The staging's own types (they left ``postdicom.types`` with the chunk protocol)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class UploadFileInfo:
    """A file about to be sent: its name (relative path), size and modification time (ms
    since the epoch, as the browser reports it)."""

    name: str
    size: int
    last_modified: int = 0


@dataclass(frozen=True)
class UploadChunk:
    """``length`` bytes of a staged file ``file_id``, starting at ``offset``."""

    file_id: UUID
    offset: int
    length: int
