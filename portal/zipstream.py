"""Writing a ZIP archive as it is sent: entries in, pieces of bytes out.

``zip_pieces`` writes each entry stored (no compression: DICOM pixel data and the documents
a clinic keeps, PDF, JPEG, MP4, are already compressed or barely compress) with Python's
``zipfile`` on a sink that cannot seek, so each entry's CRC and sizes follow its data in a
data descriptor, and yields what was written after every piece. It holds one piece of one
file at a time (``PIECE``), whatever the archive's size; only the central directory's list
of names grows with the number of entries.

ZIP64 records are written where a classic ZIP cannot say a number: an entry of 4 GiB or more
(marked in its local header, as its size is known ahead), an entry that starts past 4 GiB,
more than 65,535 entries, or a central directory past 4 GiB (``zipfile`` decides the last
three when it writes the central directory).

An entry whose file cannot be opened (gone from storage, storage down) is left out and named,
with the reason, in ``MISSING FILES.txt`` at the end of the archive, so the archive stays
whole and says what it lacks. A file that fails half-way cannot be taken back: the error
propagates and the download breaks, which the browser shows as a failed download rather
than a complete-looking but damaged archive.
"""

from __future__ import annotations

import datetime as dt
import logging
import zipfile
from collections.abc import Generator, Iterable, Iterator
from typing import IO

from django.utils import timezone
from django.utils.translation import gettext as _

from postdicom.errors import PostDicomError
from postdicom.types import ArchiveEntry

log = logging.getLogger(__name__)

PIECE = 1 << 20  # bytes read from storage at a time
MISSING = "MISSING FILES.txt"
#: Entries of at least this size get ZIP64 local headers (``zipfile`` wants a margin below 4 GiB).
_ZIP64_FROM = zipfile.ZIP64_LIMIT // 21 * 20


class _Sink:
    """What ``zipfile`` writes to: keeps the written pieces until they are taken, and counts
    them (``tell``) for the offsets of the central directory. It cannot seek, so ``zipfile``
    writes data descriptors instead of going back to fill in sizes."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self._written = 0

    def write(self, data: bytes) -> int:
        self._pieces.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        return None

    def take(self) -> Iterator[bytes]:
        pieces, self._pieces = self._pieces, []
        yield from pieces


def _date_time(moment: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """A ZIP entry's date (local time; ZIP cannot say before 1980)."""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    local = max(local.replace(tzinfo=None), dt.datetime(1980, 1, 1))
    return (local.year, local.month, local.day, local.hour, local.minute, local.second)


def _info(path: str, size: int, modified: dt.datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=_date_time(modified))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = size
    info.external_attr = 0o644 << 16  # rw-r--r-- for unzip on Unix
    return info


def _open(entry: ArchiveEntry) -> IO[bytes] | str:
    """The entry's file, or why it could not be opened."""
    try:
        return entry.open()
    except PostDicomError as error:
        return error.message
    except OSError as error:  # storage failed (S3 unreachable, permissions)
        log.warning("archive entry %s could not be opened: %s", entry.path, error)
        return _("The file could not be read from storage.")


def zip_pieces(entries: Iterable[ArchiveEntry]) -> Generator[bytes, None, None]:
    """The ZIP archive of ``entries``, in pieces as it is written (see the module docstring)."""
    sink = _Sink()
    archive = zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True)  # type: ignore[call-overload]
    missing: list[tuple[str, str]] = []
    for entry in entries:
        handle = _open(entry)
        if isinstance(handle, str):
            missing.append((entry.path, handle))
            continue
        try:
            with archive.open(
                _info(entry.path, entry.size, entry.modified), "w", force_zip64=entry.size >= _ZIP64_FROM
            ) as out:
                yield from sink.take()  # the local header
                while piece := handle.read(PIECE):
                    out.write(piece)
                    yield from sink.take()
        finally:
            handle.close()
        yield from sink.take()  # the data descriptor
    if missing:
        lines = [_("These files could not be put in the archive:"), ""]
        lines += [f"{path}: {reason}" for path, reason in missing]
        archive.writestr(_info(MISSING, 0, timezone.now()), "\r\n".join(lines) + "\r\n")
    archive.close()
    yield from sink.take()
