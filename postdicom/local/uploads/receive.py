"""Receiving an upload: a batch, its files, their bytes in resumable chunks.

The protocol (the browser's side is ``static/js/upload.js``):

1. ``start_upload`` makes a batch (institution, optional folder, anonymization).
2. ``add_upload_file`` registers each file by name, size and modification time and answers
   how many bytes of it the server already has: registering the same file again (after a
   reload, say) finds the same item, so only the missing bytes are sent.
3. ``write_upload_chunk`` appends bytes at an offset, which must be exactly the number of
   bytes received so far (else nothing is written and the caller learns the right offset).
   The bytes are streamed from the request to ``RAYPORT_UPLOAD_DIR/<batch>/<item>`` in 1 MiB
   pieces; nothing holds a whole chunk, let alone a whole file. When the last byte arrives
   the file's ingest is queued (after the transaction commits).
4. ``finish_upload`` closes the batch once every file is whole and queues the step that
   files the orders into the folder and marks the batch done when every file is.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from postdicom import types as t
from postdicom.contract import Readable
from postdicom.errors import InvalidInput, NotFound
from postdicom.local.access import institutions_of, require_active
from postdicom.local.audit import record
from postdicom.local.bulk import column, values_table
from postdicom.local.models import BatchState, Institution, ItemState, UploadBatch, UploadItem
from postdicom.local.uploads import queue
from postdicom.local.uploads.report import visible_batches
from postdicom.local.uploads.storage import PIECE
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: Longest file name (relative path) kept; longer names are cut from the left.
NAME_LIMIT = 1024
#: The latest modification time a file may announce: the end of year 9999, in ms.
LAST_MODIFIED_MAX = 253_402_300_799_999


def batch_dir(batch: UploadBatch) -> Path:
    return Path(settings.RAYPORT_UPLOAD_DIR) / str(batch.uuid)


def item_path(item: UploadItem) -> Path:
    """Where the item's bytes are assembled (the batch folder, named after the item)."""
    return Path(settings.RAYPORT_UPLOAD_DIR) / str(item.batch.uuid) / str(item.uuid)


def _clean_name(name: str) -> str:
    cleaned = "".join(c for c in (name or "").replace("\\", "/") if c >= " ").strip().lstrip("/")
    return cleaned[-NAME_LIMIT:] or "unnamed"


def _check_anonymization(anonymize: t.Anonymization | None) -> dict[str, str]:
    if anonymize is None or not anonymize.active:
        return {}
    from postdicom.dicom.anonymize import validate_replacements

    return validate_replacements(anonymize.replacements)


def _check_folder(actor: User, folder_id: UUID | None) -> None:
    if folder_id is None:
        return
    from postdicom import get_api
    from postdicom.errors import PostDicomError

    try:
        get_api().get_folder(actor=actor, folder_id=folder_id)
    except PostDicomError:
        raise InvalidInput({"folder_id": _("Choose one of your folders.")}) from None


def _institution(actor: User, institution_id: UUID) -> Institution:
    institution = institutions_of(actor).filter(uuid=institution_id).first()
    if institution is None:
        raise InvalidInput({"institution_id": _("Choose one of your institutions.")})
    if not institution.is_active:
        raise InvalidInput({"institution_id": _("This institution is inactive and takes no new images.")})
    return institution


def new_batch(
    actor: User,
    institution_id: UUID,
    folder_id: UUID | None,
    anonymize: t.Anonymization | None,
    *,
    source: str,
) -> UploadBatch:
    """Validate and create a batch. ``InvalidInput`` keyed by ``institution_id``,
    ``folder_id`` and the replacement tags, with every problem at once."""
    require_active(actor)
    errors: dict[str, list[str]] = {}
    institution: Institution | None = None
    replacements: dict[str, str] = {}
    try:
        institution = _institution(actor, institution_id)
    except InvalidInput as error:
        errors.update(error.field_errors)
    try:
        replacements = _check_anonymization(anonymize)
    except InvalidInput as error:
        errors.update(error.field_errors)
    try:
        _check_folder(actor, folder_id)
    except InvalidInput as error:
        errors.update(error.field_errors)
    if errors:
        raise InvalidInput(errors)
    assert institution is not None
    basic = bool(anonymize and anonymize.basic_profile)
    secret = ""
    if basic:
        from postdicom.dicom.uids import UidMap

        secret = UidMap.new().secret_hex
    batch = UploadBatch.objects.create(
        institution=institution,
        created_by=actor,
        folder_uuid=folder_id,
        replacements=replacements,
        basic_profile=basic,
        uid_secret=secret,
        source=source,
    )
    batch_dir(batch).mkdir(parents=True, exist_ok=True)
    record(
        actor,
        AuditAction.UPLOAD_STARTED,
        target_type="upload",
        target_id=batch.uuid,
        target_label=institution.name,
        institution=institution.name,
        anonymized=batch.anonymized,
        basic_profile=basic,
        replaced_tags=sorted(replacements),
        folder_id=str(folder_id) if folder_id else "",
        source=source,
    )
    return batch


def open_batch(actor: User, batch_id: UUID, *, for_update: bool = False) -> UploadBatch:
    rows = visible_batches(actor).select_related("institution")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    batch = rows.filter(uuid=batch_id).first()
    if batch is None:
        raise NotFound(_("No such upload."))
    return batch


def _require_open(batch: UploadBatch) -> None:
    if batch.state != BatchState.OPEN:
        raise InvalidInput(_("This upload is finished; start a new one to send more files."))


def register_files(actor: User, batch_id: UUID, files: Sequence[t.UploadFileInfo]) -> list[UploadItem]:
    """Register many files in a few queries (the same file again is the same item)."""
    batch = open_batch(actor, batch_id)
    _require_open(batch)
    if any(f.size < 0 for f in files):
        raise InvalidInput({"size": _("The file size cannot be negative.")})
    if any(f.size > t.UPLOAD_FILE_SIZE_MAX for f in files):
        raise InvalidInput({"size": _("A file may be at most %(n)d GB.") % {"n": t.UPLOAD_FILE_SIZE_MAX >> 30}})
    if any(f.last_modified > LAST_MODIFIED_MAX for f in files):
        raise InvalidInput({"last_modified": _("A file's modification time is not a date.")})
    keys = [(_clean_name(f.name), f.size, max(0, f.last_modified)) for f in files]
    folder = batch_dir(batch)
    folder.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        UploadItem.objects.bulk_create(
            [UploadItem(batch=batch, name=n, size=s, last_modified=m) for n, s, m in dict.fromkeys(keys)],
            ignore_conflicts=True,
        )
        rows = UploadItem.objects.filter(batch=batch, parent=None, name__in={k[0] for k in keys})
        found = {(i.name, i.size, i.last_modified): i for i in rows}
        items = [found[key] for key in keys]
        for item in items:
            item.batch = batch
            if item.size == 0 and item.state == ItemState.RECEIVING:
                (folder / str(item.uuid)).touch()  # the others' files appear with their first bytes
                _mark_received(item)
    return items


def register_file(actor: User, batch_id: UUID, name: str, size: int, last_modified: int) -> UploadItem:
    return register_files(actor, batch_id, [t.UploadFileInfo(name, size, last_modified)])[0]


def _mark_received(item: UploadItem) -> None:
    """An empty file is whole as soon as it is registered."""
    UploadItem.objects.filter(pk=item.pk, state=ItemState.RECEIVING).update(
        state=ItemState.RECEIVED, received=item.size
    )
    item.state, item.received = ItemState.RECEIVED, item.size
    _queue_ingest(item.pk)


def _queue_ingest(*item_pks: int) -> None:
    queue.items_ingest(list(item_pks))


class _Body:
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


def _drain(body: _Body, length: int, write: Callable[[memoryview], object]) -> int:
    """Hand up to ``length`` bytes of ``body`` to ``write``; return how many arrived."""
    taken = 0
    while taken < length:
        piece = body.read(length - taken)
        if not piece:
            break
        write(piece)
        taken += len(piece)
    return taken


def _stream_to(path: Path, offset: int, body: _Body, length: int) -> int:
    """Write up to ``length`` bytes of ``body`` at ``offset``; return how many arrived."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.seek(offset)
        return _drain(body, length, out.write)


#: Files one request may carry pieces of (``write_chunks``).
MAX_PARTS = 64


def _write_part(item: UploadItem, offset: int, body: _Body, length: int) -> int:
    """Write one part to disk if it continues the item; the bytes taken from the body."""
    if item.state != ItemState.RECEIVING or offset != item.received:
        _drain(body, length, lambda _piece: None)
        return -1  # not written: the caller continues from item.received
    path = item_path(item)
    written = _stream_to(path, offset, body, length)
    if offset + written == item.size:
        os.truncate(path, item.size)  # stray bytes from an earlier, longer attempt
    return written


def _advance(moves: list[tuple[int, int, int, bool]]) -> set[int]:
    """Compare-and-set the received counters of many items in one statement: each
    ``(pk, old, new, whole)`` moves only if the item still has ``old`` bytes and is still
    receiving (a second sender of the same bytes cannot move it twice). The pks that moved."""
    rows = [(pk, old, new, ItemState.RECEIVED if whole else ItemState.RECEIVING) for pk, old, new, whole in moves]
    source, params = values_table(UploadItem, ["id", "received", "received", "state"], rows)
    table = connection.ops.quote_name(UploadItem._meta.db_table)

    def v(index: int, name: str) -> str:
        return column(UploadItem, index, name)

    # Only the model's quoted table name is formatted in; every value is a parameter.
    sql = (
        f"UPDATE {table} SET received = {v(3, 'received')}, state = {v(4, 'state')} FROM {source} "  # noqa: S608
        f"WHERE {table}.id = {v(1, 'id')} AND {table}.received = {v(2, 'received')} AND {table}.state = %s "
        f"RETURNING {table}.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, ItemState.RECEIVING])
        return {int(row[0]) for row in cursor.fetchall()}


def _count(items: dict[UUID, UploadItem], progress: list[tuple[UUID, int, int]]) -> list[int]:
    """Record the bytes that arrived, in one short transaction after the body was read (so
    a slow client never holds a transaction open); the pks of the items now whole."""
    moves = []
    for file_id, offset, written in progress:
        item = items[file_id]
        moves.append((item.pk, offset, offset + written, offset + written == item.size))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A counter lost in a database crash only makes the browser send those bytes
            # again (the offsets are compared), so this commit need not wait for the disk.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        moved = _advance(moves)
        whole = [pk for pk, _old, _new, done in moves if done and pk in moved]
        if whole:
            _queue_ingest(*whole)
    for (file_id, _offset, _written), (pk, _old, new, done) in zip(progress, moves, strict=True):
        item = items[file_id]
        if pk in moved:
            item.received = new
            item.state = ItemState.RECEIVED if done else ItemState.RECEIVING
        else:
            item.refresh_from_db(fields=["received", "state"])
    return whole


def write_chunks(actor: User, batch_id: UUID, parts: Sequence[t.UploadChunk], stream: Readable) -> list[UploadItem]:
    """Pieces of one or more files, back to back in ``stream`` (small files travel many to a
    request). Two queries, then one short transaction with one statement for every piece's
    counter; one ingest task for the files that became whole."""
    if not parts or len(parts) > MAX_PARTS:
        raise InvalidInput({"parts": _("Send pieces of 1 to %(n)d files at a time.") % {"n": MAX_PARTS}})
    ids = [part.file_id for part in parts]
    if len(set(ids)) != len(ids):
        raise InvalidInput({"parts": _("Each file may appear once in a request.")})
    rows = UploadItem.objects.select_related("batch").filter(
        batch__in=visible_batches(actor), batch__uuid=batch_id, uuid__in=ids, parent=None
    )
    items = {item.uuid: item for item in rows}
    if len(items) != len(ids):
        raise NotFound(_("No such file in this upload."))
    _require_open(next(iter(items.values())).batch)
    for part in parts:
        if part.length < 0 or part.offset < 0 or part.offset + part.length > items[part.file_id].size:
            raise InvalidInput({"offset": _("This chunk goes past the end of the file.")})
    progress: list[tuple[UUID, int, int]] = []
    body = _Body(stream)
    for part in parts:
        written = _write_part(items[part.file_id], part.offset, body, part.length)
        if written >= 0:
            progress.append((part.file_id, part.offset, written))
        if 0 <= written < part.length:
            break  # the request ended early (a broken connection): what arrived counts
    if progress:
        _count(items, progress)
    return [items[file_id] for file_id in ids]


def write_chunk(actor: User, batch_id: UUID, file_id: UUID, offset: int, stream: Readable, length: int) -> UploadItem:
    return write_chunks(actor, batch_id, [t.UploadChunk(file_id, offset, length)], stream)[0]


def finish(actor: User, batch_id: UUID, *, queue_work: bool = True) -> UploadBatch:
    """Close the batch; ``queue_work=False`` when the caller stores it itself (``store_now``):
    a queued batch is also what the workers' sweep finishes, so nothing is lost either way."""
    with transaction.atomic():
        batch = open_batch(actor, batch_id, for_update=True)
        if batch.state != BatchState.OPEN:
            return batch
        missing = batch.items.filter(parent=None, state=ItemState.RECEIVING).count()
        if missing:
            raise InvalidInput(
                ngettext(
                    "%(n)d file has not been sent completely yet; send it before finishing.",
                    "%(n)d files have not been sent completely yet; send them before finishing.",
                    missing,
                )
                % {"n": missing}
            )
        batch.state = BatchState.QUEUED
        batch.completed_at = timezone.now()
        batch.save(update_fields=["state", "completed_at"])
        if queue_work:
            queue.batch_finish(batch.pk)
    return batch


def close_taken(batch: UploadBatch, *, queue_work: bool) -> None:
    """``finish`` for a batch ``take_files`` just filled in this transaction: every item is
    received and nobody else has the batch, so no re-read, no count, no lock."""
    batch.state = BatchState.QUEUED
    batch.completed_at = timezone.now()
    batch.save(update_fields=["state", "completed_at"])
    if queue_work:
        queue.batch_finish(batch.pk)


def _unique_name(batch: UploadBatch, name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        stem, dot, ext = name.rpartition(".")
        candidate = f"{stem} ({number}).{ext}" if dot and stem else f"{name} ({number})"
    taken.add(candidate)
    return candidate


def take_files(batch: UploadBatch, files: list[t.UploadFile]) -> list[UploadItem]:
    """Move files already on disk into the batch as received items (``upload_dicom``): one
    INSERT for all of them (a STOW-RS request is a batch of its own)."""
    taken: set[str] = set()
    folder = batch_dir(batch)
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for upload in files:
        name = _unique_name(batch, _clean_name(upload.name), taken)
        size = os.path.getsize(upload.path)
        items.append(UploadItem(batch=batch, name=name, size=size, received=size, state=ItemState.RECEIVED))
    UploadItem.objects.bulk_create(items)
    for upload, item in zip(files, items, strict=True):
        target = folder / str(item.uuid)
        try:
            os.replace(upload.path, target)
        except OSError:
            shutil.copyfile(upload.path, target)
    return items
