"""Notes about a batch as a whole (its orders could not be filed into the chosen folder),
stored as codes with language-neutral parameters and worded in the reader's language, like
a refused file's reason (``postdicom.dicom.problems``).

``UploadBatch.notes`` holds ``{"code": …, "orders": n}`` objects; :func:`note_sentence` is
the one place where each code's sentence is written. A plain string (a row written before
notes had codes, see migration ``0008_upload_notes_as_codes``) is shown as it was stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from django.utils.translation import ngettext

from postdicom.errors import Forbidden, NotFound, PostDicomError


class NoteCode(StrEnum):
    FOLDER_GONE = "folder_gone"  # deleted, or no longer shared with the uploader
    FOLDER_READ_ONLY = "folder_read_only"  # shared with the uploader to view only
    FOLDER_FAILED = "folder_failed"  # anything else


def folder_code(error: PostDicomError) -> NoteCode:
    """Why filing an order into the batch's folder failed."""
    if isinstance(error, NotFound):
        return NoteCode.FOLDER_GONE
    if isinstance(error, Forbidden):
        return NoteCode.FOLDER_READ_ONLY
    return NoteCode.FOLDER_FAILED


def stored(codes: Iterable[NoteCode]) -> list[dict[str, Any]]:
    """One note per code with the number of orders it concerns, as ``UploadBatch.notes``
    keeps them."""
    return [{"code": code.value, "orders": n} for code, n in Counter(codes).items()]


def note_sentence(note: object) -> str:
    """A stored note in the active language."""
    if not isinstance(note, dict) or note.get("code") not in set(NoteCode):
        return str(note)
    n = int(note.get("orders") or 1)
    code = NoteCode(note["code"])
    if code is NoteCode.FOLDER_GONE:
        text = ngettext(
            "%(n)d order was not filed into the chosen folder: the folder was deleted, or is no longer "
            "shared with you, while the upload ran.",
            "%(n)d orders were not filed into the chosen folder: the folder was deleted, or is no longer "
            "shared with you, while the upload ran.",
            n,
        )
    elif code is NoteCode.FOLDER_READ_ONLY:
        text = ngettext(
            "%(n)d order was not filed into the chosen folder: it is shared with you to view only.",
            "%(n)d orders were not filed into the chosen folder: it is shared with you to view only.",
            n,
        )
    else:
        text = ngettext(
            "%(n)d order could not be filed into the chosen folder.",
            "%(n)d orders could not be filed into the chosen folder.",
            n,
        )
    return text % {"n": n}
