"""ZIP archives in an upload: each entry becomes an upload item of its own.

The extraction itself (limits on size, entry count and ratio, unsafe names, ZIPs in ZIPs) is
``postdicom.dicom.archives``; this module files what it yields. Expanding again after a crash
finds the entries already made (same batch, name and size) and keeps them.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.db import transaction

from postdicom.dicom.archives import ArchiveRefused, MemberStatus, ZipMember, iter_zip
from postdicom.dicom.problems import DicomProblem, ProblemCode, stored_params
from postdicom.dicom.sniff import HEAD_FOR_ZIP, is_zip_head
from postdicom.local.models import ItemState, UploadItem
from postdicom.local.uploads.receive import item_path
from postdicom.local.uploads.storage import remove_tree


def is_zip(path: Path) -> bool:
    """A ZIP archive to expand, not a DICOM file whose preamble starts like one."""
    with open(path, "rb") as handle:
        return is_zip_head(handle.read(HEAD_FOR_ZIP))


def _file_member(
    item: UploadItem, name: str, size: int, extracted: Path | None, state: str, code: str, reason: str
) -> None:
    child, created = UploadItem.objects.get_or_create(
        batch=item.batch,
        parent=item,
        name=f"{item.name}/{name}"[-1024:],
        size=size,
        last_modified=0,
        defaults={"received": size if extracted else 0, "state": ItemState.RECEIVING},
    )
    if not created and child.state != ItemState.RECEIVING:
        if extracted is not None:
            os.remove(extracted)
        return
    child.batch = item.batch
    if extracted is not None:
        os.replace(extracted, item_path(child))
        child.received = size
    child.state = state
    child.code = code
    child.reason = reason[:500]  # the stored form of the code's parameters (``_stored``)
    child.save(update_fields=["received", "state", "code", "reason"])
    if state == ItemState.RECEIVED:
        from postdicom.local.tasks import queue_items_ingest

        child_pk = child.pk
        transaction.on_commit(lambda: queue_items_ingest([child_pk]))


def _stored(member: ZipMember) -> str:
    """What ``UploadItem.reason`` keeps of a member's refusal: the parameters of its code's
    sentence (``postdicom.dicom.problems.stored_sentence`` words it for the reader)."""
    return stored_params(member.params, member.reason)


def expand(item: UploadItem, received: Path) -> None:
    """Make an item of every entry of the archive, then mark the archive ``expanded`` (or
    ``rejected`` with the reason when the archive as a whole cannot be read)."""
    from postdicom.local.uploads.ingest import finish_item

    folder = received.with_name(received.name + ".x")
    remove_tree(str(folder))
    folder.mkdir(parents=True)
    try:
        for member in iter_zip(received, folder):
            if member.status is MemberStatus.EXTRACTED:
                assert member.path is not None
                _file_member(item, member.name, member.size, member.path, ItemState.RECEIVED, "", "")
            elif member.status is MemberStatus.SKIPPED:
                _file_member(item, member.name, 0, None, ItemState.SKIPPED, ProblemCode.DICOMDIR.value, _stored(member))
            else:
                code = member.problem.value if member.problem else ProblemCode.UNREADABLE.value
                _file_member(item, member.name, member.size, None, ItemState.REJECTED, code, _stored(member))
    except ArchiveRefused as refused:
        problem = DicomProblem(refused.code, refused.reason, refused.params)
        finish_item(item, ItemState.REJECTED, problem=problem)
        return
    finally:
        remove_tree(str(folder))
    finish_item(item, ItemState.EXPANDED)
