"""Where stored files live, and how they get there whole.

Files go to the ``dicom`` storage of ``settings.STORAGES``: local disk under ``MEDIA_ROOT``
by default (``AtomicFileSystemStorage``), or an S3-compatible bucket (django-storages) when
``RAYPORT_STORAGE=s3``. Names derive from the UIDs (``dicom/<study>/<series>/<sop>.dcm``;
UIDs are digits and dots only, checked when the file is read), so storing an instance twice
writes the same name, and a worker killed half-way and run again overwrites its own work
instead of leaving a second copy.

On local disk a file first goes to ``<name>.part-<key>`` beside its final name (a hard link
to the received file when both are on one disk, else a copy) and is then renamed over it
(``os.replace`` is atomic): a reader never sees half a file, and the part name is the same
on every retry of the same upload item, so a retry reuses it rather than leaving it behind.
S3 uploads appear whole or not at all by themselves.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from typing import Any

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages

PIECE = 1 << 20  # files are read and written in 1 MiB pieces


class AtomicFileSystemStorage(FileSystemStorage):
    """Local-disk storage that overwrites by name instead of inventing a new one (files are
    named after their content's UIDs, so the same name means the same file)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_overwrite", True)
        super().__init__(**kwargs)


def file_storage() -> Storage:
    """The storage that holds DICOM instances and documents."""
    return storages["dicom"]


def instance_name(study_uid: str, series_uid: str, sop_instance_uid: str) -> str:
    return f"dicom/{study_uid}/{series_uid}/{sop_instance_uid}.dcm"


def document_name(order_uuid: object, document_uuid: object, extension: str) -> str:
    return f"documents/{order_uuid}/{document_uuid}{extension}"


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while piece := handle.read(PIECE):
            digest.update(piece)
    return digest.hexdigest()


def _copy_hashing(source: str, target: str) -> str:
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "wb") as out:
        while piece := src.read(PIECE):
            digest.update(piece)
            out.write(piece)
    return digest.hexdigest()


def put_file(name: str, source: str, *, key: str) -> tuple[int, str]:
    """Store the local file ``source`` as ``name``; return (size, SHA-256 in hex).

    ``key`` names the part file (use the upload item's id: the same on every retry). On the
    same disk the part is a hard link to ``source`` (no bytes copied); ``source`` stays, so
    a run that dies before its transaction commits can simply be done again."""
    storage = file_storage()
    size = os.path.getsize(source)
    if isinstance(storage, FileSystemStorage):
        final = storage.path(name)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        part = f"{final}.part-{key}"
        with contextlib.suppress(FileNotFoundError):
            os.remove(part)
        try:
            os.link(source, part)
            digest = sha256_of(part)
        except OSError:  # another disk, or links not allowed: copy
            digest = _copy_hashing(source, part)
        os.replace(part, final)
        # rename() does nothing when both names are links to the same file (a retry after a
        # crash links the same source again): then the part name is still there.
        with contextlib.suppress(FileNotFoundError):
            os.remove(part)
        if storage.file_permissions_mode is not None:
            os.chmod(final, storage.file_permissions_mode)
        return size, digest
    digest = sha256_of(source)
    if storage.exists(name):
        storage.delete(name)
    with open(source, "rb") as handle:
        saved = storage.save(name, File(handle, name=os.path.basename(name)))
    if saved != name:  # a storage that renames instead of overwriting: keep one copy only
        storage.delete(saved)
        raise OSError(f"storage saved {name!r} as {saved!r}")
    return size, digest


def delete_files(names: list[str]) -> None:
    """Remove stored files; a file already gone is not an error."""
    storage = file_storage()
    for name in names:
        try:
            storage.delete(name)
        except FileNotFoundError:
            continue


def remove_tree(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
