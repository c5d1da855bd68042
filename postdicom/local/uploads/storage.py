"""Where stored files live, and how they get there whole.

Files go to the ``dicom`` storage of ``settings.STORAGES``: local disk under ``MEDIA_ROOT``
by default (``AtomicFileSystemStorage``), or an S3-compatible bucket (django-storages) when
``RAYPORT_STORAGE=s3``. Names derive from the order and the UIDs
(``dicom/<order>/<study>/<series>/<sop>.dcm``; UIDs are digits and dots only, checked when
the file is read), so storing an instance twice
writes the same name, and a worker killed half-way and run again overwrites its own work
instead of leaving a second copy.

On local disk a file first goes to ``<name>.part-<key>`` beside its final name (a hard link
to the received file when both are on one disk, else a copy) and is then renamed over it
(``os.replace`` is atomic): a reader never sees half a file, and the part name is the same
on every retry of the same upload item, so a retry reuses it rather than leaving it behind.
On local disk a stored file is also on the disk, not only in the page cache, before the
database records it (Orthanc's ``SyncStorageArea``): ``put_file`` syncs the file's bytes
before its rename, and ``put_files`` the directories that name it, once for the many files
of a series, before the caller's transaction commits. Without that a power cut could take
back an image whose row (PostgreSQL's commit is durable) says it is stored, after the sender
was told so and deleted its copy.
S3 uploads appear whole or not at all by themselves: the received file is handed to the
storage open, and django-storages sends it in parts (boto3's managed upload), never reading it
into memory whole. Reading goes through ``open_stored`` (never ``Storage.path``, which a
bucket has not), which streams from any storage and serves byte ranges without reading the rest.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages

from postdicom.durable import sync_directory

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


def instance_name(order_uuid: object, study_uid: str, series_uid: str, sop_instance_uid: str) -> str:
    """Where an instance of an order is stored. The order is part of the name because one
    UID may be indexed under several orders (never merged across institutions or past what
    the uploader may see): two of them must never overwrite each other's file. Rows stored
    before keep the name they were given (``dicom/<study>/<series>/<sop>.dcm``)."""
    return f"dicom/{order_uuid}/{study_uid}/{series_uid}/{sop_instance_uid}.dcm"


def document_name(order_uuid: object, document_uuid: object, extension: str) -> str:
    return f"documents/{order_uuid}/{document_uuid}{extension}"


def sha256_of(path: str) -> str:
    with open(path, "rb") as handle:
        return _sha256_of_handle(handle)


def _sha256_of_handle(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while piece := handle.read(PIECE):
        digest.update(piece)
    return digest.hexdigest()


def stored_sha256(name: str) -> str:
    """SHA-256 (hex) of the stored file ``name``, read in pieces from whichever storage."""
    with open_stored(name) as handle:
        return _sha256_of_handle(handle)


def open_stored(name: str) -> IO[bytes]:
    """The stored file ``name`` opened for reading in pieces; ``FileNotFoundError`` when it
    is not there. Seeking before reading costs nothing, so serving a byte range of a large
    file reads only that range: on local disk this is the file itself; on S3 it is a reader
    that asks the bucket for the bytes from where it stands (django-storages' own ``S3File``
    would first download the whole object into memory)."""
    storage = file_storage()
    if isinstance(storage, FileSystemStorage):
        return open(storage.path(name), "rb")
    from storages.backends.s3 import S3Storage

    if isinstance(storage, S3Storage):
        return io.BufferedReader(_ObjectReader(storage, name), PIECE)
    return storage.open(name, "rb")


class _ObjectReader(io.RawIOBase):
    """An S3 object as a seekable binary file: one ``HEAD`` when opened, then one ranged
    ``GET`` (``bytes=<position>-``) streamed from the first read after each seek."""

    def __init__(self, storage: Any, name: str) -> None:
        from botocore.exceptions import ClientError
        from storages.utils import clean_name

        super().__init__()
        self.name = name
        # django-storages turns a storage name into the object key (the prefix, ``location``)
        self._object = storage.bucket.Object(storage._normalize_name(clean_name(name)))
        try:
            self._size = int(self._object.content_length)  # the HEAD request
        except ClientError as error:
            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                raise FileNotFoundError(name) from None
            raise
        self._position = 0
        self._body: Any = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        start = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        position = max(start + offset, 0)
        if position != self._position:
            self._drop_body()
        self._position = position
        return position

    def readinto(self, buffer: Any) -> int:
        if self._position >= self._size or len(buffer) == 0:
            return 0
        if self._body is None:
            self._body = self._object.get(Range=f"bytes={self._position}-")["Body"]
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def _drop_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop_body()
        super().close()


def _copy_hashing(source: str, target: str) -> str:
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "wb") as out:
        while piece := src.read(PIECE):
            digest.update(piece)
            out.write(piece)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def put_file(name: str, source: str, *, key: str, hashed: bool = True) -> tuple[int, str]:
    """Store the local file ``source`` as ``name``; return (size, SHA-256 in hex).

    ``key`` names the part file (use the upload item's id: the same on every retry). On the
    same disk the part is a hard link to ``source`` (no bytes copied); ``source`` stays, so
    a run that dies before its transaction commits can simply be done again. On local disk
    the file's bytes are synced to the disk before it takes its name; the name itself lasts
    once its folders are synced, which ``put_files`` does (call that, not this, to store).
    ``hashed=False``: a linked file is not read to hash it, and its SHA-256 is "" (a copy
    and an object store's upload read the file anyway, and hash it as they go)."""
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
            with open(part, "rb") as handle:
                digest = _sha256_of_handle(handle) if hashed else ""
                os.fsync(handle.fileno())  # the link shares the received bytes: sync them
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
    return size, _put_remote(storage, name, source)


#: Files ``put_files`` stores at once (threads of the process that stores them).
PUT_THREADS = 4
_pools: dict[int, ThreadPoolExecutor] = {}  # by process: a forked child makes its own


def put_files(files: Sequence[tuple[str, str, str]], *, hashed: bool = True) -> list[tuple[int, str]]:
    """Store each ``(name, source, key)`` (``put_file``, ``hashed`` as there), several at
    once, and make the names last (``_sync_names``); the results in order. Call it inside
    the transaction that records the files, so the rows never commit before the files are
    on the disk. Syncing a file (and hashing it) lets go of the GIL, so the files of a group
    wait for the disk together instead of one after another (bench/README.md, "round 7"
    and "round 8")."""
    if len(files) < 2:
        results = [put_file(name, source, key=key, hashed=hashed) for name, source, key in files]
    else:
        pool = _pools.get(os.getpid())
        if pool is None:
            pool = _pools.setdefault(os.getpid(), ThreadPoolExecutor(PUT_THREADS, thread_name_prefix="rayport-put"))
        results = list(pool.map(lambda file: put_file(file[0], file[1], key=file[2], hashed=hashed), files))
    _sync_names(name for name, _source, _key in files)
    return results


def _sync_names(names: Iterable[str]) -> None:
    """Make the names ``put_file`` gave on local disk last through a power cut: sync each
    directory that holds them once, and the directories above it up to the storage's root
    (``put_file`` may have made them). Nothing to do on other storages (an object store's
    upload is durable once it is answered)."""
    storage = file_storage()
    if not isinstance(storage, FileSystemStorage):
        return
    root = os.path.abspath(storage.location)  # as storage.path makes the names
    synced: set[str] = set()
    for name in names:
        folder = os.path.dirname(storage.path(name))
        while folder not in synced:
            synced.add(folder)
            sync_directory(folder)
            if not folder.startswith(root + os.sep):  # the root (or a folder outside it)
                break
            folder = os.path.dirname(folder)


def _put_remote(storage: Storage, name: str, source: str) -> str:
    """Any other storage (S3…): the storage reads the open file in pieces (django-storages
    sends a multipart upload; nothing holds the whole file in memory) and overwrites the
    name, which the object store makes visible whole or not at all. Returns the SHA-256."""
    if storage.get_available_name(name) != name:  # it would not overwrite: make room
        storage.delete(name)
    with open(source, "rb") as handle:
        digest = _sha256_of_handle(handle)
        handle.seek(0)
        saved = storage.save(name, File(handle, name=os.path.basename(name)))
    if saved != name:  # a storage that renames instead of overwriting: keep one copy only
        storage.delete(saved)
        raise OSError(f"storage saved {name!r} as {saved!r}")
    return digest


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
