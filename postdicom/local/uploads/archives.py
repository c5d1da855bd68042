"""ZIP archives in an upload: each entry becomes an upload item of its own.

The extraction itself (limits on size, entry count and ratio, unsafe names, ZIPs in ZIPs) is
``postdicom.dicom.archives``; this module files what it yields, ``GROUP`` entries at a time:
one statement makes their items, one gives them their state, and one task ingests them
together, the way the files of one upload request are (an archive of 100,000 tiny entries is
3,125 tasks, not 100,000). Expanding again after a crash finds the entries already made
(same batch, name and size) and keeps them.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.db import transaction

from postdicom.dicom.archives import ArchiveRefused, MemberStatus, ZipMember, iter_zip
from postdicom.dicom.problems import DicomProblem, ProblemCode, stored_params
from postdicom.dicom.sniff import HEAD_FOR_ZIP, is_zip_head
from postdicom.local.bulk import update_rows
from postdicom.local.models import ItemState, UploadItem
from postdicom.local.uploads import queue
from postdicom.local.uploads.receive import item_path
from postdicom.local.uploads.storage import remove_tree

#: Entries filed, and then ingested, together (as many as one upload request may carry).
GROUP = 64


def is_zip(path: Path) -> bool:
    """A ZIP archive to expand, not a DICOM file whose preamble starts like one."""
    with open(path, "rb") as handle:
        return is_zip_head(handle.read(HEAD_FOR_ZIP))


def _entry(item: UploadItem, member: ZipMember) -> tuple[str, int, Path | None, str, str, str]:
    """What an entry's item becomes: name, size, extracted file, state, code, reason."""
    name = f"{item.name}/{member.name}"[-1024:]
    if member.status is MemberStatus.EXTRACTED:
        assert member.path is not None
        return name, member.size, member.path, ItemState.RECEIVED, "", ""
    if member.status is MemberStatus.SKIPPED:
        return name, 0, None, ItemState.SKIPPED, ProblemCode.DICOMDIR.value, _stored(member)
    code = member.problem.value if member.problem else ProblemCode.UNREADABLE.value
    return name, member.size, None, ItemState.REJECTED, code, _stored(member)


def _file_members(item: UploadItem, members: list[ZipMember]) -> None:
    """Make (or find again) the items of some entries, move their files into place and queue
    their ingest: a few statements for the whole group."""
    entries: dict[tuple[str, int], tuple[str, int, Path | None, str, str, str]] = {}
    for member in members:
        entry = _entry(item, member)
        if (entry[0], entry[1]) in entries:  # the same name and size twice in the archive: the first counts
            if entry[2] is not None:
                os.remove(entry[2])
            continue
        entries[(entry[0], entry[1])] = entry
    with transaction.atomic():
        UploadItem.objects.bulk_create(
            [UploadItem(batch=item.batch, parent=item, name=name, size=size) for name, size in entries],
            ignore_conflicts=True,
        )
        rows = UploadItem.objects.filter(batch=item.batch, parent=item, name__in={name for name, _ in entries})
        found = {(row.name, row.size): row for row in rows}
        changes: list[tuple[int, int, str, str, str]] = []
        received: list[int] = []
        for key, (_name, size, extracted, state, code, reason) in entries.items():
            child = found.get(key)
            if child is None or child.state != ItemState.RECEIVING:  # made by an earlier run of this expansion
                if extracted is not None:
                    os.remove(extracted)
                continue
            child.batch = item.batch
            if extracted is not None:
                os.replace(extracted, item_path(child))
            # the reason is the stored form of the code's parameters (``_stored``)
            changes.append((child.pk, size if extracted else 0, state, code, reason[:500]))
            if state == ItemState.RECEIVED:
                received.append(child.pk)
        update_rows(UploadItem, ["received", "state", "code", "reason"], changes)
        if received:
            queue.items_ingest(received)


def _stored(member: ZipMember) -> str:
    """What ``UploadItem.reason`` keeps of a member's refusal: the parameters of its code's
    sentence (``postdicom.dicom.problems.stored_sentence`` words it for the reader)."""
    return stored_params(member.params, member.reason)


def expand(item: UploadItem, received: Path) -> DicomProblem | None:
    """Make an item of every entry of the archive; the problem when the archive as a whole
    cannot be read (the caller gives the archive's item its outcome)."""
    folder = received.with_name(received.name + ".x")
    remove_tree(str(folder))
    folder.mkdir(parents=True)
    members: list[ZipMember] = []
    try:
        for member in iter_zip(received, folder):
            members.append(member)
            if len(members) == GROUP:
                _file_members(item, members)
                members = []
        if members:
            _file_members(item, members)
    except ArchiveRefused as refused:
        return DicomProblem(refused.code, refused.reason, refused.params)
    finally:
        remove_tree(str(folder))
    return None
