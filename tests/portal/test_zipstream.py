"""The streamed ZIP writer: valid archives, ZIP64 where needed, missing files named, handles closed."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile

import pytest

from portal import zipstream
from portal.zipstream import MISSING, zip_pieces
from postdicom.errors import NotFound
from postdicom.types import ArchiveEntry

WHEN = dt.datetime(2026, 12, 3, 10, 30, tzinfo=dt.UTC)


class Tracked(io.BytesIO):
    """A file that remembers being closed and how much was asked of it at once."""

    opened: list[Tracked] = []

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.largest_read = 0
        Tracked.opened.append(self)

    def read(self, size: int | None = -1, /) -> bytes:
        self.largest_read = max(self.largest_read, size if size is not None and size >= 0 else 1 << 62)
        return super().read(size)


def _entry(path: str, data: bytes) -> ArchiveEntry:
    return ArchiveEntry(path=path, size=len(data), modified=WHEN, opener=lambda: Tracked(data))


def _gone() -> io.BytesIO:
    raise NotFound("The file is missing from storage.")


def _broken_storage() -> io.BytesIO:
    raise OSError("connection refused")


def test_entries_come_out_whole_in_pieces():
    Tracked.opened = []
    big = bytes(range(256)) * 20_000  # 5 MB: several pieces
    pieces = list(zip_pieces([_entry("DICOMDIR", b"dir"), _entry("DICOM/P0000001/I0000001", big)]))
    assert max(len(p) for p in pieces) <= zipstream.PIECE
    bundle = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    assert bundle.testzip() is None
    assert bundle.namelist() == ["DICOMDIR", "DICOM/P0000001/I0000001"]
    assert bundle.read("DICOM/P0000001/I0000001") == big
    info = bundle.getinfo("DICOMDIR")
    assert info.compress_type == zipfile.ZIP_STORED
    assert info.date_time[:3] == (2026, 12, 3)
    assert all(f.closed for f in Tracked.opened)
    assert all(f.largest_read <= zipstream.PIECE for f in Tracked.opened)  # never read whole


def test_names_in_any_script_are_stored_as_utf8():
    data = b"".join(zip_pieces([_entry("DOCUMENTS/山田 太郎 · AN-1/informe médico.pdf", b"%PDF")]))
    bundle = zipfile.ZipFile(io.BytesIO(data))
    (info,) = bundle.infolist()
    assert info.filename == "DOCUMENTS/山田 太郎 · AN-1/informe médico.pdf"
    assert info.flag_bits & 0x800  # the UTF-8 flag, so Windows' and macOS' unzip read it right


def test_a_missing_file_is_named_at_the_end_and_the_archive_stays_whole():
    entries = [
        _entry("a.pdf", b"first"),
        ArchiveEntry(path="DICOM/P0000001/I0000002", size=10, modified=WHEN, opener=_gone),
        ArchiveEntry(path="b.pdf", size=10, modified=WHEN, opener=_broken_storage),
        _entry("c.pdf", b"last"),
    ]
    bundle = zipfile.ZipFile(io.BytesIO(b"".join(zip_pieces(entries))))
    assert bundle.namelist() == ["a.pdf", "c.pdf", MISSING]
    note = bundle.read(MISSING).decode()
    assert "DICOM/P0000001/I0000002: The file is missing from storage." in note
    assert "b.pdf: The file could not be read from storage." in note


def test_a_file_failing_half_way_breaks_the_download():
    class Failing(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            if self.tell() > 0:
                raise OSError("connection reset")
            return super().read(size)

    entry = ArchiveEntry(path="x", size=3 << 20, modified=WHEN, opener=lambda: Failing(b"x" * (3 << 20)))
    with pytest.raises(OSError, match="connection reset"):
        list(zip_pieces([entry]))


def test_a_download_stopped_by_the_client_closes_the_open_file():
    Tracked.opened = []
    pieces = zip_pieces([_entry("a", b"a" * (3 << 20)), _entry("b", b"b")])
    next(pieces)
    next(pieces)
    pieces.close()  # what Django does when the client goes away
    assert Tracked.opened
    assert all(f.closed for f in Tracked.opened)


def test_zip64_records_when_the_numbers_pass_the_classic_limits(monkeypatch):
    """ZIP64 for offsets and counts past the classic fields, checked with the limits lowered
    (a real 4 GiB archive takes minutes on the shared machine)."""
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 1 << 12)
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 8)
    entries = [_entry(f"f{i:02d}", bytes([i]) * 1000) for i in range(12)]
    data = b"".join(zip_pieces(entries))
    assert struct.pack("<L", 0x06064B50) in data  # the ZIP64 end of central directory record
    assert struct.pack("<L", 0x07064B50) in data  # and its locator
    bundle = zipfile.ZipFile(io.BytesIO(data))
    assert bundle.testzip() is None
    assert [bundle.read(f"f{i:02d}") for i in range(12)] == [bytes([i]) * 1000 for i in range(12)]


def test_large_entries_get_zip64_local_headers(monkeypatch):
    monkeypatch.setattr(zipstream, "_ZIP64_FROM", 100)
    data = b"".join(zip_pieces([_entry("big", b"z" * 500), _entry("small", b"s")]))
    bundle = zipfile.ZipFile(io.BytesIO(data))
    assert bundle.read("big") == b"z" * 500
    # the local header of "big" carries the ZIP64 extra field (id 0x0001)
    header = data[: 30 + len("big") + 20]
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    assert extra_length == 20
    assert struct.unpack("<H", header[30 + name_length : 32 + name_length])[0] == 0x0001
