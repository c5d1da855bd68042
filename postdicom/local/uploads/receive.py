"""Receiving an upload: a batch and its whole files.

1. ``start_upload`` makes a batch (institution, optional folder, anonymization).
2. ``add_upload_files`` hands it whole files already on local disk (the portal's staging,
   ``portal.staging``, assembles them from the browser's resumable chunks): each is moved
   (renamed: no bytes copied when both folders are on one disk) to
   ``RAYPORT_UPLOAD_DIR/<batch>/<item>`` as a received item, and their ingest is queued
   once the transaction commits. Files may be added many times before ``finish_upload``.
3. ``finish_upload`` closes the batch and queues the step that files the orders into the
   folder and marks the batch done when every file is.

``upload_dicom`` does all three at once for files it is given whole.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from postdicom import handoff
from postdicom import types as t
from postdicom.errors import InvalidInput, NotFound
from postdicom.local.access import institutions_of, require_active
from postdicom.local.audit import record
from postdicom.local.bulk import insert_objects
from postdicom.local.models import BatchState, Institution, ItemState, Profile, UploadBatch, UploadItem
from postdicom.local.uploads import queue
from postdicom.local.uploads.report import visible_batches
from postdicom.types import AuditAction, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: Longest file name (relative path) kept; longer names are cut from the left.
NAME_LIMIT = 1024


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


def _insert_checked(batch: UploadBatch, actor: User, admin: bool, institution_id: UUID) -> bool:
    """On PostgreSQL, insert the unsaved ``batch`` into the institution ``institution_id``
    only if it is an active one of the actor's (``_institution``'s rules: every institution
    for an administrator), in one statement instead of a look-up and an INSERT; the batch
    gets its id and its institution. False (nothing inserted) when the institution does not
    qualify, or elsewhere than on PostgreSQL (no INSERT in a ``WITH`` there): the caller
    then checks it the usual way, which says why."""
    if connection.vendor != "postgresql":
        return False
    quote = connection.ops.quote_name
    fields = [f for f in UploadBatch._meta.concrete_fields if not f.primary_key and f.name != "institution"]
    values = [f.get_db_prep_save(f.pre_save(batch, add=True), connection) for f in fields]
    columns = ", ".join(quote(f.column) for f in fields)
    holes = ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in fields)
    shown = ["id", "uuid", "name", "address", "is_active", "created_at"]
    through = Profile.institutions.through._meta.db_table
    # Only quoted table and column names from the models are formatted in; values are parameters.
    sql = (
        f"WITH i AS (SELECT {', '.join(f'n.{quote(name)}' for name in shown)} "  # noqa: S608
        f"FROM {quote(Institution._meta.db_table)} n WHERE n.{quote('uuid')} = %s AND n.{quote('is_active')} "
        f"AND (%s OR EXISTS (SELECT 1 FROM {quote(through)} m "
        f"INNER JOIN {quote(Profile._meta.db_table)} p ON p.{quote('id')} = m.{quote('profile_id')} "
        f"WHERE m.{quote('institution_id')} = n.{quote('id')} AND p.{quote('user_id')} = %s))), "
        f"b AS (INSERT INTO {quote(UploadBatch._meta.db_table)} ({quote('institution_id')}, {columns}) "
        f"SELECT i.{quote('id')}, {holes} FROM i RETURNING {quote('id')}) "
        f"SELECT b.{quote('id')}, {', '.join(f'i.{quote(name)}' for name in shown)} FROM b, i"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [institution_id, admin, actor.pk, *values])
        row = cursor.fetchone()
    if row is None:
        return False
    institution = Institution.from_db(connection.alias, shown, row[1:])
    batch.pk = row[0]
    batch.institution = institution
    batch._state.adding = False
    batch._state.db = connection.alias
    return True


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
    role = require_active(actor)
    errors: dict[str, list[str]] = {}
    replacements: dict[str, str] = {}
    try:
        replacements = _check_anonymization(anonymize)
    except InvalidInput as error:
        errors.update(error.field_errors)
    try:
        _check_folder(actor, folder_id)
    except InvalidInput as error:
        errors.update(error.field_errors)
    basic = bool(anonymize and anonymize.basic_profile)
    secret = ""
    if basic:
        from postdicom.dicom.uids import UidMap

        secret = UidMap.new().secret_hex
    batch = UploadBatch(
        created_by=actor,
        folder_uuid=folder_id,
        replacements=replacements,
        basic_profile=basic,
        uid_secret=secret,
        source=source,
    )
    if errors or not _insert_checked(batch, actor, role is Role.ADMINISTRATOR, institution_id):
        try:  # the institution's check alone, for its message (and every problem at once)
            batch.institution = _institution(actor, institution_id)
        except InvalidInput as error:
            errors.update(error.field_errors)
        if errors:
            raise InvalidInput(errors)
        batch.save(force_insert=True)
    institution = batch.institution
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


def add_files(actor: User, batch_id: UUID, files: Sequence[t.UploadFile]) -> UploadBatch:
    """Whole files on disk join an open batch as received items and their ingest is queued
    after the commit, exactly as the last chunk of a file used to queue it. The batch row is
    locked meanwhile, so a concurrent ``finish`` sees every file or none of these."""
    handoff.require_files(files)
    with transaction.atomic():
        batch = open_batch(actor, batch_id, for_update=True)
        _require_open(batch)
        items = take_files(batch, list(files), fresh=False)
        queue.items_ingest([item.pk for item in items])
    return batch


def finish(actor: User, batch_id: UUID, *, queue_work: bool = True) -> UploadBatch:
    """Close the batch; ``queue_work=False`` when the caller stores it itself (``store_now``):
    a queued batch is also what the workers' sweep finishes, so nothing is lost either way."""
    with transaction.atomic():
        batch = open_batch(actor, batch_id, for_update=True)
        if batch.state != BatchState.OPEN:
            return batch
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


def _names_in_use(batch: UploadBatch, names: set[str]) -> set[str]:
    """Those of ``names`` that files of the batch already have (and so do the ``(n)`` forms
    of them that ``_unique_name`` might choose): one query."""
    rows = UploadItem.objects.filter(batch=batch, parent=None)
    stems = {name.rpartition(".")[0] or name for name in names}
    query = Q(name__in=names)
    for stem in stems:
        query |= Q(name__startswith=f"{stem} (")
    return set(rows.filter(query).values_list("name", flat=True))


def take_files(batch: UploadBatch, files: list[t.UploadFile], *, fresh: bool = True) -> list[UploadItem]:
    """Move files already on disk into the batch as received items: one INSERT for all of
    them. ``fresh``: the batch was made in this call (``upload_dicom``, a STOW-RS request), so
    no name can clash with an earlier file's; otherwise (``add_upload_files``) a name the batch
    already has gets a `` (2)`` as two files of one call do."""
    cleaned = [_clean_name(upload.name) for upload in files]
    taken: set[str] = set() if fresh else _names_in_use(batch, set(cleaned))
    folder = batch_dir(batch)
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for upload, clean in zip(files, cleaned, strict=True):
        name = _unique_name(batch, clean, taken)
        size = os.path.getsize(upload.path)
        items.append(UploadItem(batch=batch, name=name, size=size, received=size, state=ItemState.RECEIVED))
    insert_objects(items)  # bulk_create's statement, without the SQL compiler's cost
    for upload, item in zip(files, items, strict=True):
        target = folder / str(item.uuid)
        try:
            os.replace(upload.path, target)  # one disk: a rename, no bytes copied
        except OSError:  # another disk: copied (streamed by the kernel), then the original goes
            shutil.copyfile(upload.path, target)
            os.unlink(upload.path)
    return items
