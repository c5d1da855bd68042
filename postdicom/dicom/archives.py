"""Safe reading of uploaded ZIP archives.

:func:`iter_zip` extracts the members of a ZIP one at a time into files of a folder the caller
owns (named ``000001.part``…, never after the member, so no member name can reach outside
it), in 1 MiB chunks, and yields one :class:`ZipMember` per file member: extracted (with its
safe relative name and the temporary path, which the caller deletes when done), skipped
(DICOMDIR) or refused with a reason for clinic staff:

* names that are absolute (``/x``, ``\\x``, ``C:x``) or climb out (``..``), symlinks;
* a ZIP inside the ZIP (recognised by content): reported, never expanded;
* encrypted members, unsupported compression, damaged data;
* a member that inflates more than ``max_ratio`` times its compressed size: checked while the
  bytes come out, so a ZIP bomb stops after ``max_ratio`` × its compressed size.

Two limits stop the whole archive (:class:`ArchiveRefused`): more than ``max_entries``
members (checked against the end-of-directory record before the directory is even parsed, and
again on the parsed directory) and more than ``max_total_bytes`` of extracted data, counted as
it is produced, never trusting the sizes the archive declares.
"""

from __future__ import annotations

import contextlib
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from postdicom.dicom.problems import Params, ProblemCode, sentence
from postdicom.dicom.sniff import is_zip_head

CHUNK = 1 << 20
GiB = 1 << 30

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"


@dataclass(frozen=True)
class ZipLimits:
    max_total_bytes: int = 20 * GiB
    max_entries: int = 100_000
    max_ratio: float = 200.0
    #: Small members compress extremely well without being bombs: the ratio is only checked
    #: once a member has produced this much.
    ratio_floor_bytes: int = CHUNK
    #: The central directory is read into memory; a real one is ~100 bytes per member.
    max_directory_bytes: int = 64 << 20


class MemberStatus(StrEnum):
    EXTRACTED = "extracted"
    SKIPPED = "skipped"
    REFUSED = "refused"


class MemberProblem(StrEnum):
    """Why a member was not extracted; the values are ``ProblemCode`` values (the sentences
    are :func:`postdicom.dicom.problems.sentence`'s)."""

    UNSAFE_NAME = ProblemCode.ZIP_UNSAFE_NAME.value
    SYMLINK = ProblemCode.ZIP_SYMLINK.value
    NESTED_ZIP = ProblemCode.ZIP_NESTED.value
    ENCRYPTED = ProblemCode.ZIP_ENCRYPTED.value
    UNSUPPORTED = ProblemCode.ZIP_UNSUPPORTED.value
    DAMAGED = ProblemCode.ZIP_MEMBER_DAMAGED.value
    RATIO = ProblemCode.ZIP_RATIO.value
    DICOMDIR = ProblemCode.DICOMDIR.value


@dataclass(frozen=True)
class ZipMember:
    """One file member of the archive and what became of it."""

    name: str  # the safe relative name ("study/IM0001"); for an unsafe one, the name as given
    status: MemberStatus
    path: Path | None = None  # the extracted file (EXTRACTED only); the caller deletes it
    size: int = 0  # bytes extracted (for a RATIO refusal: how many came out before it stopped)
    problem: MemberProblem | None = None
    reason: str = ""
    params: Params = field(default_factory=dict, compare=False)  # what ``reason`` was made from


class ArchiveRefused(Exception):
    """The archive as a whole cannot be read (further); ``reason`` is for clinic staff."""

    def __init__(self, code: ProblemCode, **params: str | int) -> None:
        reason = sentence(code, params)
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.params = params


def _not_a_zip() -> ArchiveRefused:
    return ArchiveRefused(ProblemCode.ZIP_DAMAGED)


def _too_many(limit: int) -> ArchiveRefused:
    return ArchiveRefused(ProblemCode.ZIP_TOO_MANY, limit=limit)


def _directory_size(path: Path, size: int) -> tuple[int, int]:
    """(entry count, central directory size) from the end-of-central-directory records."""
    with open(path, "rb") as handle:
        tail_length = min(size, 22 + 0xFFFF)
        handle.seek(size - tail_length)
        tail = handle.read(tail_length)
        at = tail.rfind(_EOCD)
        if at < 0 or len(tail) - at < 22:
            raise _not_a_zip()
        entries, directory_size = struct.unpack("<HL", tail[at + 10 : at + 16])
        if entries == 0xFFFF or directory_size == 0xFFFFFFFF:
            locator = at - 20
            if locator < 0 or tail[locator : locator + 4] != _ZIP64_LOCATOR:
                raise _not_a_zip()
            record_offset = struct.unpack("<Q", tail[locator + 8 : locator + 16])[0]
            handle.seek(record_offset)
            record = handle.read(56)
            if len(record) < 56 or record[:4] != _ZIP64_EOCD:
                raise _not_a_zip()
            entries, directory_size = struct.unpack("<QQ", record[32:48])
        return entries, directory_size


def safe_name(name: str) -> str | None:
    """The member name as a relative POSIX path, or None when it is absolute or climbs out."""
    if not name or any(ord(c) < 32 for c in name):
        return None
    if name.startswith(("/", "\\")) or (len(name) >= 2 and name[1] == ":"):
        return None
    parts = []
    for part in name.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            return None
        parts.append(part)
    return "/".join(parts) or None


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def _refused(name: str, problem: MemberProblem, size: int = 0, **params: str | int) -> ZipMember:
    return ZipMember(
        name=name,
        status=MemberStatus.REFUSED,
        size=size,
        problem=problem,
        reason=sentence(problem.value, params),
        params=params,
    )


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def iter_zip(
    archive: str | os.PathLike[str], folder: str | os.PathLike[str], limits: ZipLimits | None = None
) -> Iterator[ZipMember]:
    """Extract and yield the members of ``archive`` into ``folder`` (see the module docstring).

    Raises :class:`ArchiveRefused` before the first member, or after the last member that fit,
    when the whole archive is refused.
    """
    limits = limits or ZipLimits()
    archive, folder = Path(archive), Path(folder)
    size = archive.stat().st_size
    entries, directory_size = _directory_size(archive, size)
    if entries > limits.max_entries:
        raise _too_many(limits.max_entries)
    if directory_size > limits.max_directory_bytes:
        raise _not_a_zip()
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _not_a_zip() from None
    with bundle:
        infos = bundle.infolist()
        if len(infos) > limits.max_entries:
            raise _too_many(limits.max_entries)
        total = 0
        for index, info in enumerate(infos, start=1):
            if info.is_dir():
                continue
            name = safe_name(info.filename)
            if name is None:
                yield _refused(info.filename, MemberProblem.UNSAFE_NAME)
                continue
            if _is_symlink(info):
                yield _refused(name, MemberProblem.SYMLINK)
                continue
            if info.flag_bits & 0x1:
                yield _refused(name, MemberProblem.ENCRYPTED)
                continue
            if name.rsplit("/", 1)[-1].upper() == "DICOMDIR":
                yield ZipMember(
                    name=name,
                    status=MemberStatus.SKIPPED,
                    problem=MemberProblem.DICOMDIR,
                    reason=sentence(ProblemCode.DICOMDIR),
                )
                continue
            target = folder / f"{index:06d}.part"
            member, total = _extract(bundle, info, name, target, total, limits)
            yield member


def _extract(
    bundle: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, target: Path, total: int, limits: ZipLimits
) -> tuple[ZipMember, int]:
    """Extract one member to ``target``, enforcing the limits as bytes come out."""
    produced = 0
    allowed = limits.max_ratio * max(info.compress_size, 1)
    try:
        with bundle.open(info) as source, open(target, "xb") as out:
            first = True
            while chunk := source.read(CHUNK):
                if first and is_zip_head(chunk):  # a DICOM file whose preamble says "PK" is not
                    out.close()
                    _remove(target)
                    return _refused(name, MemberProblem.NESTED_ZIP), total
                first = False
                produced += len(chunk)
                total += len(chunk)
                if total > limits.max_total_bytes:
                    out.close()
                    _remove(target)
                    raise ArchiveRefused(ProblemCode.ZIP_TOO_LARGE, size=_size(limits.max_total_bytes))
                if produced > limits.ratio_floor_bytes and produced > allowed:
                    out.close()
                    _remove(target)
                    # size: how much came out before the extraction stopped
                    return _refused(name, MemberProblem.RATIO, produced, ratio=int(limits.max_ratio)), total
                out.write(chunk)
    except ArchiveRefused:
        raise
    except NotImplementedError:
        _remove(target)
        return _refused(name, MemberProblem.UNSUPPORTED), total
    except RuntimeError:  # zipfile's "encrypted, password required"
        _remove(target)
        return _refused(name, MemberProblem.ENCRYPTED), total
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError):
        _remove(target)
        return _refused(name, MemberProblem.DAMAGED), total
    except BaseException:
        _remove(target)
        raise
    return ZipMember(name=name, status=MemberStatus.EXTRACTED, path=target, size=produced), total


def _size(count: int) -> str:
    if count >= GiB:
        return f"{count / GiB:g} GiB"
    return f"{count / (1 << 20):g} MiB"
