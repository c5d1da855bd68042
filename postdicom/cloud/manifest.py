"""The cloud backend's uploads, kept on this portal's disk until the image server has them.

PostDICOM's HTTP API has no upload batches: a STOW-RS request stores what it carries and
answers. The batch (who started it, where it goes, its files and each one's outcome) is
therefore kept here, in ``RAYPORT_UPLOAD_DIR/cloud/<batch>/``:

* ``manifest.json``: the batch as JSON (``Manifest``), replaced atomically (written to a
  temporary file, fsynced, renamed) under ``manifest.lock`` (``flock``), so a web process
  adding files and a worker writing outcomes never lose each other's changes;
* ``files/<file id>``: each file, moved in when it is added (``take_in``), removed once it
  has its outcome.

What a call has written lasts through a power cut once it returns: a file taken in is
synced, and so is the folder naming it, before the manifest that lists it; the manifest's
folder is synced after its rename (the previous manifest, without the files just received,
would otherwise come back); a new batch's folder and a new sweep marker are synced too
(docs/decisions.md, "The cloud upload's manifest lasts through a power cut").

Nothing is lost when the image server or the broker goes away: a file is on disk, named in
the manifest, until its outcome is written; the workers' sweep (``pending_batches``) finds
every batch that still has work. It runs every minute, so it reads no finished manifest:
``.pending/<batch>`` (an empty file) marks each batch with work, made before a manifest with
work is written and removed after one without is (a crash between the two leaves a marker
too many, which the sweep drops, never one too few). A table would need a migration and an app of the cloud
package's own; a folder per batch needs neither and is removed with the batch (decisions.md):
``remove_expired``, daily, once it has had nothing to do for
``RAYPORT_CLOUD_UPLOAD_REPORT_DAYS`` (the report is read until then).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings

from postdicom import filelocks
from postdicom import types as t
from postdicom.durable import sync_directory

#: Outcomes after which a file needs nothing more.
FINAL = frozenset(
    {
        t.UploadOutcome.STORED,
        t.UploadOutcome.DUPLICATE,
        t.UploadOutcome.CONFLICT,
        t.UploadOutcome.REJECTED,
        t.UploadOutcome.SKIPPED,
        t.UploadOutcome.EXPANDED,
    }
)


@dataclass
class Entry:
    """One file of a batch. ``code``/``reason`` as the local backend keeps them (a problem
    code and its parameters, worded when read; a server's own sentence has no code);
    ``warnings`` likewise (``DicomWarning.stored()`` forms, or plain sentences)."""

    id: str
    name: str
    size: int
    outcome: str = t.UploadOutcome.RECEIVED.value
    code: str = ""
    reason: str = ""
    warnings: list[Any] = field(default_factory=list)
    study_uid: str = ""
    order_id: str = ""
    parent: str = ""
    looked: bool = False  # checked for being a ZIP archive (to expand) before it is sent

    @property
    def final(self) -> bool:
        return t.UploadOutcome(self.outcome) in FINAL


@dataclass
class Manifest:
    """A batch. ``username``: whose it is (the user the image server is asked to act as);
    ``uid_secret``: the Basic Profile's UID map (``postdicom.dicom.uids``), so a resent file
    gets the same new UIDs; ``filed``: the end-of-batch step (orders found, folder) is done;
    ``attempt_at``: when a worker last began sending it (the sweep leaves younger ones be)."""

    id: str
    username: str
    created_by: str
    created_at: str
    institution_id: str
    institution_name: str = ""
    folder_id: str = ""
    replacements: dict[str, str] = field(default_factory=dict)
    basic_profile: bool = False
    uid_secret: str = ""
    state: str = t.UploadState.OPEN.value
    filed: bool = False
    attempt_at: str = ""
    notes: list[dict[str, Any]] = field(default_factory=list)
    files: list[Entry] = field(default_factory=list)

    @property
    def anonymization(self) -> t.Anonymization | None:
        if not (self.replacements or self.basic_profile):
            return None
        return t.Anonymization(replacements=dict(self.replacements), basic_profile=self.basic_profile)

    @property
    def pending(self) -> list[Entry]:
        return [entry for entry in self.files if not entry.final]

    @property
    def has_work(self) -> bool:
        """Files to send, or a finished batch whose last step has not run."""
        return bool(self.pending) or (self.state != t.UploadState.OPEN.value and not self.filed)

    def info(self) -> t.UploadBatchInfo:
        counts: dict[str, int] = {}
        for entry in self.files:
            counts[entry.outcome] = counts.get(entry.outcome, 0) + 1
        top = [entry for entry in self.files if not entry.parent]
        return t.UploadBatchInfo(
            id=UUID(self.id),
            institution=t.Institution(id=UUID(self.institution_id), name=self.institution_name),
            state=t.UploadState(self.state),
            created_at=dt.datetime.fromisoformat(self.created_at),
            created_by=self.created_by,
            folder_id=UUID(self.folder_id) if self.folder_id else None,
            anonymized=self.anonymization is not None,
            basic_profile=self.basic_profile,
            file_count=len(self.files),
            bytes_total=sum(entry.size for entry in top),
            bytes_received=sum(entry.size for entry in top),
            counts=counts,
        )


def root() -> Path:
    return Path(settings.RAYPORT_UPLOAD_DIR) / "cloud"


def folder(batch_id: UUID | str) -> Path:
    return root() / UUID(str(batch_id)).hex


def file_path(batch_id: UUID | str, entry: Entry) -> Path:
    return folder(batch_id) / "files" / entry.id


def new_entry(name: str, size: int, parent: str = "") -> Entry:
    return Entry(id=uuid.uuid4().hex, name=name[-1024:], size=size, parent=parent)


def create(manifest: Manifest) -> None:
    where = folder(manifest.id)
    (where / "files").mkdir(parents=True)
    _write(where, manifest)  # syncs the batch's folder
    sync_directory(where.parent)  # the batch's folder's name


def take_in(batch_id: UUID | str, files: list[tuple[Entry, str]]) -> None:
    """Move each received ``(entry, path)`` into the batch, sync its bytes, then the folder
    naming them: call it under ``changing``, before the manifest listing them is written."""
    for entry, source in files:
        target = file_path(batch_id, entry)
        shutil.move(source, target)
        with open(target, "rb") as handle:
            os.fsync(handle.fileno())
    if files:
        sync_directory(folder(batch_id) / "files")


def read(batch_id: UUID | str) -> Manifest | None:
    """The batch, or None when there is no such batch (or it was removed)."""
    try:
        path = folder(batch_id) / "manifest.json"
    except ValueError:
        return None
    try:
        raw = json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return None
    files = [Entry(**item) for item in raw.pop("files", [])]
    return Manifest(**raw, files=files)


@contextlib.contextmanager
def changing(batch_id: UUID | str) -> Iterator[Manifest | None]:
    """The batch, locked against other writers; what the block changes is written when it
    leaves without an error."""
    where = folder(batch_id)
    if not where.is_dir():
        yield None
        return
    with open(where / "manifest.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = read(batch_id)
            yield current
            if current is not None:
                _write(where, current)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextlib.contextmanager
def sending(batch_id: UUID | str) -> Iterator[bool]:
    """Whether this process may send the batch's files now: one sender per batch at a time
    (a second task, or the sweep, finds it taken and leaves the batch to the first)."""
    where = folder(batch_id)
    if not where.is_dir():
        yield False
        return
    with filelocks.held(where / "send.lock") as got:
        yield got


#: The sweep's index under ``root()``: one empty file per batch with work (its folder's
#: name), and ``BUILT`` once every batch written before the index existed is in it.
PENDING = ".pending"
BUILT = ".built"


def _write(where: Path, manifest: Manifest) -> None:
    marker = where.parent / PENDING / where.name
    if manifest.has_work and not marker.exists():  # marked first: a crash in between leaves a stale marker, not none
        marker.parent.mkdir(exist_ok=True)
        marker.touch()
        sync_directory(marker.parent)
    temporary = where / f"manifest.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as out:
        json.dump(asdict(manifest), out, ensure_ascii=False)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, where / "manifest.json")
    sync_directory(where)  # the rename lasts: the previous manifest cannot come back
    if not manifest.has_work:
        marker.unlink(missing_ok=True)


def pending_batches() -> list[str]:
    """The ids of the batches that still have work (for the workers' sweep): those marked in
    ``.pending``, each read to be sure; a marker whose batch has none left is dropped."""
    base = root()
    if not base.is_dir():
        return []
    index = base / PENDING
    if not (index / BUILT).exists():
        _build_index(base, index)
    found = []
    for marker in index.iterdir():
        if marker.name == BUILT:
            continue
        manifest = read(marker.name)
        if manifest is not None and manifest.has_work:
            found.append(manifest.id)
        else:
            _drop_marker(base, marker)
    return found


def _build_index(base: Path, index: Path) -> None:
    """Mark every batch with work (the manifests written before the index): read once."""
    index.mkdir(exist_ok=True)
    for child in base.iterdir():
        manifest = read(child.name) if child.is_dir() and not child.name.startswith(".") else None
        if manifest is not None and manifest.has_work:
            (index / child.name).touch()
    (index / BUILT).touch()


def _drop_marker(base: Path, marker: Path) -> None:
    """Remove a stale marker, looked at again under the batch's lock (a writer may have given
    the batch work meanwhile, and marked it)."""
    where = base / marker.name
    try:
        lock = open(where / "manifest.lock", "a+b")  # noqa: SIM115 (closed below)
    except (FileNotFoundError, NotADirectoryError):  # the batch is gone
        marker.unlink(missing_ok=True)
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            manifest = read(marker.name)
            if manifest is None or not manifest.has_work:
                marker.unlink(missing_ok=True)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def remove_expired(before: dt.datetime) -> int:
    """Remove every batch with nothing left to do whose manifest was last written before
    ``before`` (its report goes with it), and return how many. A batch that still has files
    to send is kept whatever its age: its files are not lost to a long outage."""
    base = root()
    if not base.is_dir():
        return 0
    removed = 0
    for child in base.iterdir():
        if child.is_dir() and not child.name.startswith(".") and _expired(child, before.timestamp()):
            with open(child / "manifest.lock", "a+b") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:  # looked at again under the lock: a writer may have come meanwhile
                    if _expired(child, before.timestamp()):
                        shutil.rmtree(child, ignore_errors=True)
                        (base / PENDING / child.name).unlink(missing_ok=True)  # a stale one
                        removed += 1
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
    return removed


def _expired(where: Path, before: float) -> bool:
    try:
        if (where / "manifest.json").stat().st_mtime >= before:
            return False
    except (FileNotFoundError, NotADirectoryError):
        return False  # being made (``create`` writes the manifest last), or already gone
    batch = read(where.name)
    return batch is not None and not batch.has_work


def remove_files(batch_id: UUID | str) -> None:
    """The batch's files, once every one has its outcome (the manifest stays for the report)."""
    shutil.rmtree(folder(batch_id) / "files", ignore_errors=True)
