"""The resumable upload protocol: batches, files, chunks, finishing (see the package's
docstring). Who may write into a batch: the user who started it through the staging, and
anyone else the backend shows the batch to (administrators); for everyone else it does not
exist (``NotFound``), as the backend's own batches."""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.staging import disk
from portal.staging.handover import hand_over
from portal.staging.models import StagedBatch, StagedFile
from portal.staging.types import UploadChunk, UploadFileInfo
from postdicom import get_api
from postdicom.contract import Readable
from postdicom.errors import InvalidInput, NotFound
from postdicom.types import (
    UPLOAD_FILE_SIZE_MAX,
    Anonymization,
    UploadBatchInfo,
    UploadFileState,
    UploadOutcome,
    UploadState,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: Longest file name (relative path) kept; longer names are cut from the left.
NAME_LIMIT = 1024
#: The latest modification time a file may announce: the end of year 9999, in ms.
LAST_MODIFIED_MAX = 253_402_300_799_999
#: Files one request may carry pieces of (``write_chunks``).
MAX_PARTS = 64


def clean_name(name: str) -> str:
    cleaned = "".join(c for c in (name or "").replace("\\", "/") if c >= " ").strip().lstrip("/")
    return cleaned[-NAME_LIMIT:] or "unnamed"


def start(
    actor: User, *, institution_id: UUID, folder_id: UUID | None = None, anonymize: Anonymization | None = None
) -> UploadBatchInfo:
    """``start_upload`` at the backend (errors as it raises them), remembered here with the
    user who may write into it."""
    batch = get_api().start_upload(actor=actor, institution_id=institution_id, folder_id=folder_id, anonymize=anonymize)
    StagedBatch.objects.create(batch_id=batch.id, user=actor)
    disk.batch_dir(batch.id).mkdir(parents=True, exist_ok=True)
    return batch


def open_batch(actor: User, batch_id: UUID) -> StagedBatch:
    """The staged batch the actor may write into. Its starter is let in without a question to
    the backend; anyone else only when the backend shows them the batch (``NotFound``
    otherwise, ``Forbidden`` for an inactive user). A batch started elsewhere (before the
    staging, or by another entry point) is taken on here once the backend shows it."""
    staged = StagedBatch.objects.filter(batch_id=batch_id).first()
    if staged is not None and staged.user_id == actor.pk and actor.is_active:
        return staged
    info = get_api().upload_progress(actor=actor, batch_id=batch_id)
    if staged is None:
        staged, _created = StagedBatch.objects.get_or_create(
            batch_id=batch_id, defaults={"user": actor, "finished": info.state is not UploadState.OPEN}
        )
    return staged


def _require_open(staged: StagedBatch) -> None:
    if staged.cleared_at is not None:
        raise InvalidInput(
            _("This upload was closed after it had been left unfinished; start a new one to send the files.")
        )
    if staged.finished:
        raise InvalidInput(_("This upload is finished; start a new one to send more files."))


@contextlib.contextmanager
def _writing(actor: User, batch_id: UUID, *, make: bool = False) -> Iterator[StagedBatch]:
    """The open staged batch the actor may write into, while this request shares the batch's
    lock (``disk.writing``): the cleaner of abandoned batches cannot clear it meanwhile, and a
    request that waited for the cleaner reads the batch after it, closed. ``make``: a batch
    without a folder yet (taken on here) gets one, and is read again under its lock."""
    with disk.writing(batch_id) as locked:
        staged = open_batch(actor, batch_id)
        _require_open(staged)
        if locked or not make:
            yield staged
            return
    disk.batch_dir(batch_id).mkdir(parents=True, exist_ok=True)
    with disk.writing(batch_id):
        staged.refresh_from_db(fields=["finished", "cleared_at"])
        _require_open(staged)
        yield staged


def file_state(row: StagedFile, received: int | None = None) -> UploadFileState:
    """``received``: the bytes on disk when the caller knows them (else they are looked up)."""
    if row.handed:
        received, outcome = row.size, UploadOutcome.RECEIVED
    else:
        if received is None:
            received = disk.size_on_disk(disk.file_path(row.batch_id, row.id))
        outcome = UploadOutcome.RECEIVING
    return UploadFileState(
        id=row.id,
        name=row.name,
        size=row.size,
        received=received,
        outcome=outcome,
        last_modified=row.last_modified,
    )


def register(actor: User, batch_id: UUID, files: Sequence[UploadFileInfo]) -> list[UploadFileState]:
    """Register many files in a few queries (the same file again is the same file, with the
    bytes it already has). Empty files are whole at once and handed over in this call. The
    batch counts as active from now (``cleanup``)."""
    with _writing(actor, batch_id, make=True) as staged:
        _check_files(files)
        StagedBatch.objects.filter(pk=staged.pk).update(active_at=timezone.now())
        return _register(actor, staged, files)


def _check_files(files: Sequence[UploadFileInfo]) -> None:
    if any(f.size < 0 for f in files):
        raise InvalidInput({"size": _("The file size cannot be negative.")})
    if any(f.size > UPLOAD_FILE_SIZE_MAX for f in files):
        raise InvalidInput({"size": _("A file may be at most %(n)d GB.") % {"n": UPLOAD_FILE_SIZE_MAX >> 30}})
    if any(f.last_modified > LAST_MODIFIED_MAX for f in files):
        raise InvalidInput({"last_modified": _("A file's modification time is not a date.")})


def _register(actor: User, staged: StagedBatch, files: Sequence[UploadFileInfo]) -> list[UploadFileState]:
    keys = [(clean_name(f.name), f.size, max(0, f.last_modified)) for f in files]
    StagedFile.objects.bulk_create(
        [StagedFile(batch=staged, name=n, size=s, last_modified=m) for n, s, m in dict.fromkeys(keys)],
        ignore_conflicts=True,
    )
    rows = StagedFile.objects.filter(batch=staged, name__in={k[0] for k in keys})
    found = {(r.name, r.size, r.last_modified): r for r in rows}
    chosen = [found[key] for key in keys]
    folder = disk.batch_dir(staged.batch_id)
    empties = []
    for row in dict.fromkeys(chosen):
        if row.size == 0 and not row.handed:
            lock = disk.Locked.lock(folder / str(row.id))
            if lock is not None:
                empties.append((row, lock))
    hand_over(actor, staged.batch_id, empties)
    return [file_state(row) for row in chosen]


def write_chunks(actor: User, batch_id: UUID, parts: Sequence[UploadChunk], stream: Readable) -> list[UploadFileState]:
    """Pieces of one or more files, back to back in ``stream`` (small files travel many to a
    request). A piece is written only if it starts where its file ends and nobody else is
    writing that file; otherwise it is read past and the file's state says where to go on.
    The files this request made whole go to the backend in one ``add_upload_files``."""
    if not parts or len(parts) > MAX_PARTS:
        raise InvalidInput({"parts": _("Send pieces of 1 to %(n)d files at a time.") % {"n": MAX_PARTS}})
    ids = [part.file_id for part in parts]
    if len(set(ids)) != len(ids):
        raise InvalidInput({"parts": _("Each file may appear once in a request.")})
    with _writing(actor, batch_id) as staged:
        return _write(actor, staged, parts, ids, stream)


def _write(
    actor: User, staged: StagedBatch, parts: Sequence[UploadChunk], ids: list[UUID], stream: Readable
) -> list[UploadFileState]:
    rows = {row.id: row for row in StagedFile.objects.filter(batch=staged, id__in=ids)}
    if len(rows) != len(ids):
        raise NotFound(_("No such file in this upload."))
    for part in parts:
        if part.length < 0 or part.offset < 0 or part.offset + part.length > rows[part.file_id].size:
            raise InvalidInput({"offset": _("This chunk goes past the end of the file.")})
    body = disk.Body(stream)
    received: dict[UUID, int] = {}
    whole: list[tuple[StagedFile, disk.Locked]] = []
    try:
        for part in parts:
            row = rows[part.file_id]
            lock = None if row.handed else disk.Locked.lock(disk.file_path(staged.batch_id, row.id))
            if lock is None:  # handed over, or another request is writing it
                disk.drain(body, part.length)
                continue
            have = lock.size
            written = lock.append(body, part.length) if have == part.offset else -1
            if written < 0:
                disk.drain(body, part.length)
                written = 0
            received[row.id] = have + written
            if have + written == row.size:
                whole.append((row, lock))
            else:
                lock.close()
            if have == part.offset and written < part.length:
                break  # the request ended early (a broken connection): what arrived counts
    except BaseException:
        for _row, lock in whole:
            lock.close()
        raise
    hand_over(actor, staged.batch_id, whole)
    return [file_state(rows[file_id], received.get(file_id)) for file_id in ids]


def write_chunk(
    actor: User, batch_id: UUID, file_id: UUID, offset: int, stream: Readable, length: int
) -> UploadFileState:
    return write_chunks(actor, batch_id, [UploadChunk(file_id, offset, length)], stream)[0]


def finish(actor: User, batch_id: UUID) -> UploadBatchInfo:
    """Close the batch at the backend once every file is whole (``InvalidInput`` while some
    are not); a whole file not handed over yet (a request that died between its last byte
    and the backend) is handed over first. Finishing twice changes nothing (nor does finishing
    a batch the cleaner closed)."""
    with disk.writing(batch_id):
        staged = open_batch(actor, batch_id)
        if not staged.finished:
            _hand_over_the_rest(actor, staged)
        batch = get_api().finish_upload(actor=actor, batch_id=batch_id)
        if not staged.finished:
            close(staged)
    return batch


def close(staged: StagedBatch, **fields: object) -> None:
    """The batch finished here (with ``fields``, say why): its rows and its folder go."""
    StagedBatch.objects.filter(pk=staged.pk).update(finished=True, **fields)
    StagedFile.objects.filter(batch=staged).delete()
    shutil.rmtree(disk.batch_dir(staged.batch_id), ignore_errors=True)


def hand_over_whole(actor: User, staged: StagedBatch) -> int:
    """Hand the batch's whole files not handed over yet to the backend; how many files are
    not whole."""
    whole: list[tuple[StagedFile, disk.Locked]] = []
    missing = 0
    try:
        for row in StagedFile.objects.filter(batch=staged, handed=False).order_by("id"):
            path = disk.file_path(staged.batch_id, row.id)
            if disk.size_on_disk(path) != row.size:
                missing += 1
                continue
            # Waits for a request handing it over right now (they never wait, so no deadlock).
            lock = disk.Locked.lock(path, wait=True)
            if lock is not None:
                whole.append((row, lock))
    except BaseException:
        for _row, lock in whole:
            lock.close()
        raise
    hand_over(actor, staged.batch_id, whole)
    return missing


def _hand_over_the_rest(actor: User, staged: StagedBatch) -> None:
    missing = hand_over_whole(actor, staged)
    if missing:
        raise InvalidInput(
            ngettext(
                "%(n)d file has not been sent completely yet; send it before finishing.",
                "%(n)d files have not been sent completely yet; send them before finishing.",
                missing,
            )
            % {"n": missing}
        )


def with_progress(batch: UploadBatchInfo) -> UploadBatchInfo:
    """An open batch as the browser sees it while sending: every registered file and the
    bytes received so far (the backend knows only the files handed over)."""
    if batch.state is not UploadState.OPEN:
        return batch
    rows = list(StagedFile.objects.filter(batch_id=batch.id).values_list("id", "size", "handed"))
    if not rows:
        return batch
    received = sum(
        size if handed else disk.size_on_disk(disk.file_path(batch.id, file_id)) for file_id, size, handed in rows
    )
    return dataclasses.replace(
        batch, file_count=len(rows), bytes_total=sum(size for _id, size, _h in rows), bytes_received=received
    )
