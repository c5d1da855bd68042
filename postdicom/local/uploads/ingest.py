"""Turning received files into stored, indexed instances (run by Celery workers).

Every step is safe to run again. An item is ``received`` until its outcome is written; a
worker killed at any point leaves it ``received`` (or leaves a committed outcome) and the
item is simply done again (``resume_unfinished`` when a worker starts, or the redelivered
task). Items are taken in groups (``GROUP``), each locked for this process:

1. ZIP archives are expanded into items of their own (``archives``) and are done.
2. With anonymization, the received file is anonymized into ``<item>.anon`` (the original
   is never stored); the upload's UID map is derived from the batch's secret, so a second
   run maps every UID the same way.
3. The file is sniffed and read (``postdicom.dicom``); a bad file gets its reason, a
   DICOMDIR is skipped.
4. In one transaction for the group: the instances are claimed (``indexing.claim_instances``;
   another item's claim means the order already has that SOP Instance UID: a duplicate when
   it is the same image, by its bytes or its pixel data, else a conflict, never stored),
   written to storage under its order and UID name (a hard link renamed into place: atomic,
   no bytes copied), hashed, and its outcome recorded. Patient details that differ from the
   order's are a warning on the file, and on the order when the batch is done. A crash
   rolls the claims back; whoever stores those instances next writes the same names again,
   so no stray file is left.
5. The item's temporary files are removed; the batch's folder goes when the batch is done.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation

from postdicom import types as t
from postdicom.dicom import problems
from postdicom.dicom.problems import DicomProblem, DicomWarning, ProblemCode, WarningCode
from postdicom.dicom.read import DicomSummary
from postdicom.local.audit import record
from postdicom.local.bulk import Update, update_rows, update_rows_together
from postdicom.local.images import headers, thumbnails
from postdicom.local.models import BatchState, InstanceRecord, ItemState, PatientOrder, UploadBatch, UploadItem
from postdicom.local.orders.visibility import order_label
from postdicom.local.uploads import archives, notes, queue
from postdicom.local.uploads.indexing import Claim, claim_instances, forget_cached_series
from postdicom.local.uploads.locks import item_locks
from postdicom.local.uploads.notes import NoteCode, folder_code
from postdicom.local.uploads.receive import batch_dir, item_path
from postdicom.local.uploads.storage import (
    file_storage,
    open_stored,
    put_files,
    remove_tree,
    sha256_of,
    stored_sha256,
)
from postdicom.types import AuditAction

log = logging.getLogger(__name__)


def _remove(path: Path | str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def finish_item(
    item: UploadItem,
    state: str,
    *,
    problem: DicomProblem | None = None,
    claim: Claim | None = None,
    warnings: tuple[DicomWarning, ...] = (),
    save: bool = True,
) -> None:
    """Give the item its outcome; ``save=False`` leaves the writing to ``save_outcomes``,
    which writes many items' outcomes in one statement."""
    item.state = state
    item.code = problem.code.value if problem is not None else ""
    # The code and its sentence's parameters, not the sentence: the report words it in the
    # reader's language (postdicom.dicom.problems.stored_sentence).
    item.reason = problem.stored() if problem is not None else ""
    item.instance_id = claim.instance_pk if claim is not None else None
    item.order_id = claim.order_pk if claim is not None else None
    item.warnings = [warning.stored() for warning in warnings]  # worded by the report, like the reason
    item.finished_at = timezone.now()
    if save:
        save_outcomes([item])


_OUTCOME = ["state", "code", "reason", "instance", "order", "warnings", "finished_at"]


def _outcome_rows(items: list[UploadItem]) -> list[tuple[object, ...]]:
    return [(i.pk, i.state, i.code, i.reason, i.instance_id, i.order_id, i.warnings, i.finished_at) for i in items]


def save_outcomes(items: list[UploadItem]) -> None:
    """Write the outcomes ``finish_item`` gave (one statement for any number of items)."""
    update_rows(UploadItem, _OUTCOME, _outcome_rows(items))


def _anonymization(batch: UploadBatch) -> t.Anonymization | None:
    if not batch.anonymized:
        return None
    return t.Anonymization(replacements=dict(batch.replacements or {}), basic_profile=batch.basic_profile)


def _prepare(item: UploadItem, source: Path) -> tuple[Path, tuple[DicomWarning, ...]]:
    """The file to store (anonymized when asked) and the warnings about it."""
    request = _anonymization(item.batch)
    if request is None:
        return source, ()
    from postdicom.dicom.anonymize import anonymize_file
    from postdicom.dicom.uids import UidMap

    target = source.with_name(source.name + ".anon")
    _remove(target)
    uid_map = UidMap.from_hex(item.batch.uid_secret) if item.batch.basic_profile else None
    report = anonymize_file(source, target, request, uid_map)
    return target, tuple(report.warnings)


def _recover(item: UploadItem) -> None:
    """The received file is gone: an earlier run moved it into storage and died before it
    wrote the outcome. Finish from what is in storage."""
    found = (
        InstanceRecord.objects.filter(claimed_by=item.uuid)
        .values_list("pk", "series__study__order_id", "file_name", "stored")
        .first()
    )
    storage = file_storage()
    if found is not None and storage.exists(found[2]):
        pk, order_pk, name, stored = found
        if not stored:
            digest = stored_sha256(name)
            InstanceRecord.objects.filter(pk=pk).update(stored=True, size=storage.size(name), sha256=digest)
        finish_item(item, ItemState.STORED, claim=Claim(pk, order_pk, mine=True, stored=True, file_name=name))
        return
    finish_item(item, ItemState.REJECTED, problem=problems.lost())


@dataclass
class _Ready:
    """A file that was read (and anonymized) and waits to be stored."""

    item: UploadItem
    summary: DicomSummary
    source: Path
    warnings: tuple[DicomWarning, ...]


def _read(item: UploadItem, received: Path, *, describe: bool = True) -> _Ready | None:
    """Anonymize (when asked) and read the file; a bad file gets its outcome here.
    ``describe``: the reading also describes the header for DICOMweb, kept as the file is
    stored (a worker's ingest; a request storing a STOW leaves it to the worker, after its
    answer: docs/decisions.md, "STOW-RS round 5")."""
    from postdicom.dicom.read import summarize

    try:
        source, warnings = _prepare(item, received)
        summary = summarize(source, describe=describe)
    except DicomProblem as problem:
        state = ItemState.SKIPPED if problem.code is ProblemCode.DICOMDIR else ItemState.REJECTED
        finish_item(item, state, problem=problem)
        return None
    warnings = tuple(dict.fromkeys((*warnings, *summary.warnings)))
    return _Ready(item, summary, source, warnings)


def _same_image(ready: _Ready, name: str, digest: str, *, stored: bool) -> bool:
    """Whether the file is the image stored as ``name`` (SHA-256 ``digest``): the same
    bytes, or the same pixel data (an anonymized copy). "Same" when there is nothing to
    compare with yet (another item holds the instance and is storing it: not ``stored``).
    A file stored without its digest yet (by a request: the worker hashes it after the
    answer) is hashed now."""
    if not stored:
        return True
    try:
        if sha256_of(str(ready.source)) == (digest or stored_sha256(name)):
            return True
    except FileNotFoundError:
        return False
    from postdicom.dicom.sameness import same_pixels

    try:
        with open(ready.source, "rb") as mine, open_stored(name) as theirs:
            return same_pixels(mine, theirs)
    except FileNotFoundError:
        return False


def _store(group: list[_Ready], held: list[Update] | None = None, *, in_request: bool = False) -> list[Claim]:
    """Claim the group's instances, put the files that are this group's to store, record
    every outcome: a few statements whatever the size of the group. The claims, in order.
    With ``held``, the outcomes' UPDATE is added to it instead of sent (the caller sends it
    with the batch's own: ``_close``). ``in_request``: a request that answers once this
    commits leaves the files' SHA-256 to the worker, after the answer (``digests.fill_for``;
    docs/decisions.md, "STOW-RS round 8")."""
    claims = claim_instances([(ready.item, ready.summary) for ready in group])
    stored: list[tuple[int, bool, int, str]] = []
    written: dict[int, str] = {}  # instance pk → SHA-256 of the file this call stored
    described: list[tuple[int, str, t.InstanceHeader]] = []  # kept for DICOMweb, as the file's
    fresh = [(ready, claim) for ready, claim in zip(group, claims, strict=True) if claim.mine and not claim.stored]
    files = [(claim.file_name, str(ready.source), str(ready.item.uuid)) for ready, claim in fresh]
    put = iter(put_files(files, hashed=not in_request))
    for ready, claim in zip(group, claims, strict=True):
        problem = None
        warnings = ready.warnings
        if claim.mine:
            if not claim.stored:
                size, digest = next(put)
                stored.append((claim.instance_pk, True, size, digest))
                written[claim.instance_pk] = digest
                if ready.summary.described is not None:
                    described.append((claim.instance_pk, digest, ready.summary.described))
            state = ItemState.STORED
            if claim.differs:
                differs = DicomWarning.of(WarningCode.PATIENT_DIFFERS, fields=",".join(claim.differs))
                warnings = (*warnings, differs)
        elif _same_image(
            ready,
            claim.file_name,
            written.get(claim.instance_pk, claim.sha256),
            stored=claim.stored or claim.instance_pk in written,
        ):
            state = ItemState.DUPLICATE
        else:
            state, problem = ItemState.CONFLICT, problems.conflict()
        finish_item(ready.item, state, problem=problem, claim=claim, warnings=warnings, save=False)
    # The files' sizes and digests and the items' outcomes: one statement on PostgreSQL.
    updates: list[Update] = [
        (InstanceRecord, ["stored", "size", "sha256"], stored),
        (UploadItem, _OUTCOME, _outcome_rows([ready.item for ready in group])),
    ]
    if held is not None:
        held += updates
    else:
        update_rows_together(*updates)
    headers.keep(described)
    return claims


def _store_all(group: list[_Ready]) -> None:
    """Store the files in one transaction, from the claims to the outcomes: the claims' row
    locks keep concurrent senders of the same instances waiting until this commits (or dies,
    which rolls the claims back; a file written under the same name is rewritten by whoever
    stores that instance next, so nothing is left behind)."""
    try:
        with transaction.atomic():
            _store(group)
        return
    except IntegrityError:
        # Foreign keys are checked at commit: a series this process remembered was purged
        # meanwhile. Forget what it remembers and store the files one by one.
        forget_cached_series()
    for ready in group:
        ready.item.refresh_from_db(fields=["state"])
        if ready.item.state == ItemState.RECEIVED:
            with transaction.atomic():
                _store([ready])


def _cleanup(item: UploadItem) -> None:
    if item.state in ItemState.final():
        received = item_path(item)
        _remove(received)
        _remove(received.with_name(received.name + ".anon"))


def ingest_items(item_pks: list[int]) -> set[int]:
    """Do received items, storing the readable ones together; returns the pks another
    worker holds (it will finish them)."""
    with item_locks(item_pks) as held:
        items = list(
            # the batch's uploader, role and institution come along: the joining rules and the
            # new order need them (three statements fewer per group)
            UploadItem.objects.select_related(
                "batch", "batch__institution", "batch__created_by", "batch__created_by__profile"
            )
            .filter(pk__in=held, state=ItemState.RECEIVED)
            .order_by("id")
        )
        group: list[_Ready] = []
        with translation.override(settings.LANGUAGE_CODE):
            for item in items:
                received = item_path(item)
                if not received.exists():
                    _recover(item)
                elif archives.is_zip(received):
                    refused = archives.expand(item, received)
                    state = ItemState.REJECTED if refused is not None else ItemState.EXPANDED
                    finish_item(item, state, problem=refused)
                elif (ready := _read(item, received)) is not None:
                    group.append(ready)
            if group:
                _store_all(group)
        for item in items:
            _cleanup(item)
    return set(item_pks) - held


def ingest_item(item_pk: int) -> bool:
    """Do one received item; False when another worker holds it (it will finish it)."""
    return not ingest_items([item_pk])


#: Items ingested together (one transaction, one lock statement).
GROUP = 32


def pending_items(batch: UploadBatch) -> list[int]:
    return list(batch.items.filter(state=ItemState.RECEIVED).order_by("id").values_list("pk", flat=True))


def _file_orders(batch: UploadBatch) -> list[dict[str, Any]]:
    """File the orders that received images into the batch's folder; notes for the report
    (codes, worded when the report is read)."""
    if batch.folder_uuid is None or batch.created_by is None:
        return []
    from postdicom import get_api
    from postdicom.errors import PostDicomError

    failed: list[NoteCode] = []
    order_ids = (
        batch.items.filter(state__in=[ItemState.STORED, ItemState.DUPLICATE])
        .exclude(order=None)
        .values_list("order__uuid", flat=True)
        .distinct()
    )
    for order_id in order_ids:
        try:
            get_api().add_order_to_folders(actor=batch.created_by, order_id=order_id, folder_ids=[batch.folder_uuid])
        except PostDicomError as error:
            failed.append(folder_code(error))
    return notes.stored(failed)


def finish_batch_if_done(batch_pk: int, *, look_first: bool = True, items: list[UploadItem] | None = None) -> bool:
    """Mark a sent batch done once every item has its outcome (exactly once). ``look_first``
    reads without a lock before taking the batch's row lock (workers racing for the same
    batch); the caller storing its own batch in the request (``store_now``) skips it and
    passes ``items``, an empty list that receives the batch's items, read once under the
    lock (what is waiting and the counts come from them: two statements fewer)."""
    waiting = UploadItem.objects.filter(batch_id=batch_pk, state__in=[ItemState.RECEIVING, ItemState.RECEIVED])
    if look_first and (
        not UploadBatch.objects.filter(pk=batch_pk, state=BatchState.QUEUED).exists() or waiting.exists()
    ):
        return UploadBatch.objects.filter(pk=batch_pk, state=BatchState.DONE).exists()
    with transaction.atomic():
        batch = (
            UploadBatch.objects.select_for_update(of=("self",))
            .select_related("institution", "created_by")
            .filter(pk=batch_pk)
            .first()
        )
        if batch is None or batch.state != BatchState.QUEUED:
            return batch is not None and batch.state == BatchState.DONE
        counts: dict[Any, Any]
        if items is not None:
            items.extend(batch.items.order_by("id"))
            if any(item.state in (ItemState.RECEIVING, ItemState.RECEIVED) for item in items):
                return False
            counts = dict(Counter(item.state for item in items))
        elif batch.items.filter(state__in=[ItemState.RECEIVING, ItemState.RECEIVED]).exists():
            return False
        else:
            counts = dict(batch.items.values_list("state").annotate(n=Count("id")).order_by())
        _close(batch, counts, fields=["state", "finished_at", "notes"])
        studies = studies_stored(batch.pk)
        transaction.on_commit(lambda: headers.make_for(studies))
        transaction.on_commit(lambda: thumbnails.make_for(studies))
    return True


def studies_stored(batch_pk: int) -> set[int]:
    """The studies that received images from the batch (whose thumbnails are drawn next)."""
    return set(
        UploadItem.objects.filter(batch_id=batch_pk, state=ItemState.STORED)
        .exclude(instance=None)
        .values_list("instance__series__study_id", flat=True)
        .order_by()
    )


def _close(
    batch: UploadBatch,
    counts: dict[Any, Any],
    *,
    fields: list[str],
    images: _Images | None = None,
    held: Sequence[Update] = (),
) -> None:
    """The done batch's last steps, in the caller's transaction: its orders filed in its
    folder, the images' audit per order (``images``: gathered by the caller from its claims;
    else read from the items), the state and the finish audit; its folder goes after the
    commit. ``held``: updates the caller kept back to send with the batch's own, in one
    statement on PostgreSQL (never when the batch has a folder: filing reads the items)."""
    filing = _file_orders(batch)
    _record_images(batch, images if images is not None else _images_of(batch))
    batch.state = BatchState.DONE
    batch.finished_at = timezone.now()
    batch.notes = [*(batch.notes or []), *filing]
    if held:
        assert batch.folder_uuid is None  # the filing above read the items' outcomes
        update_rows_together(*held, (UploadBatch, fields, [[batch.pk, *(getattr(batch, name) for name in fields)]]))
    else:
        batch.save(update_fields=fields)
    record(
        batch.created_by,
        AuditAction.UPLOAD_FINISHED,
        target_type="upload",
        target_id=batch.uuid,
        target_label=batch.institution.name,
        **{state: counts.get(state, 0) for state in ItemState.final()},
    )
    folder = batch_dir(batch)
    transaction.on_commit(lambda: remove_tree(str(folder)))


def _differing(batch: UploadBatch) -> dict[int, tuple[int, list[str]]]:
    """Order pk → (how many stored files, which patient details) of the batch's images whose
    patient details differ from their order's."""
    found: dict[int, tuple[int, list[str]]] = {}
    rows = batch.items.filter(state=ItemState.STORED).exclude(order=None).exclude(warnings=[])
    for order_pk, warnings in rows.values_list("order_id", "warnings").order_by():
        for warning in warnings or ():
            if isinstance(warning, dict) and warning.get("code") == WarningCode.PATIENT_DIFFERS.value:
                count, fields = found.get(order_pk, (0, []))
                more = str(warning.get("params", {}).get("fields", "")).split(",")
                found[order_pk] = (count + 1, [*fields, *(f for f in more if f and f not in fields)])
    return found


@dataclass
class _Images:
    """What a batch stored, per order pk: how many images, their series and modalities, the
    images whose patient details differ (how many, which details), and the order's id and
    audit name."""

    stored: dict[int, int]
    series: dict[int, set[int]]
    modalities: dict[int, set[str]]
    differing: dict[int, tuple[int, list[str]]]
    orders: dict[int, tuple[UUID, str]]


def _images_of(batch: UploadBatch) -> _Images:
    """``_Images`` read from the batch's items (a worker's batch, stored in many groups)."""
    rows = (
        batch.items.filter(state=ItemState.STORED)
        .exclude(order=None)
        .values("order", "instance__series_id", "instance__series__modality")
        .annotate(n=Count("id"))
        .order_by()
    )
    images = _Images({}, {}, {}, _differing(batch), {})
    for row in rows:
        order_pk = row["order"]
        images.stored[order_pk] = images.stored.get(order_pk, 0) + row["n"]
        if row["instance__series_id"] is not None:
            images.series.setdefault(order_pk, set()).add(row["instance__series_id"])
        if row["instance__series__modality"]:
            images.modalities.setdefault(order_pk, set()).add(row["instance__series__modality"])
    if images.stored:
        for order in PatientOrder.objects.filter(pk__in=images.stored):
            images.orders[order.pk] = (order.uuid, order_label(order))
    return images


def _images_claimed(stored: list[tuple[UploadItem, Claim]]) -> _Images:
    """``_Images`` from the claims of the items stored in this call (``store_taken``): the
    same figures as ``_images_of`` without reading anything back."""
    images = _Images({}, {}, {}, {}, {})
    for item, claim in stored:
        if item.state != ItemState.STORED or claim.order_uuid is None:
            continue
        order_pk = claim.order_pk
        images.stored[order_pk] = images.stored.get(order_pk, 0) + 1
        images.series.setdefault(order_pk, set()).add(claim.series_pk)
        if claim.modality:
            images.modalities.setdefault(order_pk, set()).add(claim.modality)
        images.orders[order_pk] = (claim.order_uuid, claim.order_label)
        if claim.differs:
            count, fields = images.differing.get(order_pk, (0, []))
            images.differing[order_pk] = (count + 1, [*fields, *(f for f in claim.differs if f not in fields)])
    return images


def _record_images(batch: UploadBatch, images: _Images) -> None:
    """One audit event per order that received images from this batch: how many, in how many
    series, of which modalities (the history says "uploaded 12 images (CT, 2 series)"); and one
    more per order some of whose new images name another patient (or the same one differently)."""
    for order_pk, (order_uuid, label) in images.orders.items():
        record(
            batch.created_by,
            AuditAction.ORDER_IMAGES_ADDED,
            target_type="order",
            target_id=order_uuid,
            target_label=label,
            images=images.stored[order_pk],
            series=len(images.series.get(order_pk, ())),
            modalities=sorted(images.modalities.get(order_pk, ())),
            upload=str(batch.uuid),
        )
        if order_pk in images.differing:
            count, fields = images.differing[order_pk]
            record(
                batch.created_by,
                AuditAction.ORDER_IMAGES_DIFFER,
                target_type="order",
                target_id=order_uuid,
                target_label=label,
                images=count,
                fields=fields,
                upload=str(batch.uuid),
            )


def run_batch(batch_pk: int) -> bool:
    """Ingest whatever of the batch is still waiting, then finish it if it can be."""
    batch = UploadBatch.objects.filter(pk=batch_pk).first()
    if batch is None:
        return True
    _ingest_pending(batch, pending_items(batch))
    return finish_batch_if_done(batch_pk)


def _ingest_pending(batch: UploadBatch, pending: list[int]) -> None:
    held_elsewhere: set[int] = set()
    while pending:
        for start in range(0, len(pending), GROUP):  # ZIP archives add entries as they go: look again
            held_elsewhere |= ingest_items(pending[start : start + GROUP])
        pending = [pk for pk in pending_items(batch) if pk not in held_elsewhere]


def store_taken(batch: UploadBatch, items: list[UploadItem]) -> list[UploadItem]:
    """``upload_dicom(store_now=True)``: store the batch that ``take_files`` just filled, in
    the same transaction, and close it; the items with their outcomes, in order. Nobody else
    sees the batch before that transaction commits, so none of a worker's precautions is
    needed (no item locks, no re-reading the items, no queued state in between: about a
    dozen statements and two commits fewer than ``store_batch``); the ingest steps and the
    finish are the same code. Should anything fail, the whole upload rolls back (the caller
    was told nothing was stored). No ZIP archives here: their expansion adds items, which
    ``store_batch`` does. The received files go with the batch's folder after the commit."""
    group: list[_Ready] = []
    claimed: list[tuple[UploadItem, Claim]] = []
    with translation.override(settings.LANGUAGE_CODE):
        for item in items:
            if (ready := _read(item, item_path(item), describe=False)) is not None:
                group.append(ready)
        # The last group's outcomes go with the batch's own UPDATE (one statement on
        # PostgreSQL), unless the batch files its orders in a folder, which reads them first.
        held: list[Update] = []
        for start in range(0, len(group), GROUP):
            part = group[start : start + GROUP]
            last = start + GROUP >= len(group) and batch.folder_uuid is None
            stored = _store(part, held if last else None, in_request=True)
            claimed += zip((ready.item for ready in part), stored, strict=True)
    batch.completed_at = timezone.now()
    _close(
        batch,
        dict(Counter(item.state for item in items)),
        fields=["state", "completed_at", "finished_at", "notes"],
        images=_images_claimed(claimed),
        held=held,
    )
    studies = {claim.study_uuid for item, claim in claimed if item.state == ItemState.STORED and claim.study_uuid}
    if studies:
        queue.thumbnails_draw(batch.pk, studies)  # the worker looks up the studies
    return items


def store_batch(batch: UploadBatch, item_pks: list[int]) -> list[UploadItem]:
    """``upload_dicom(store_now=True)``: store the batch just received in this request, as
    ``run_batch`` would (same ingest, same finish and audit), without the look-ups a worker
    needs to find its work; returns every item of the batch with its outcome, in order."""
    _ingest_pending(batch, item_pks)
    items: list[UploadItem] = []
    if finish_batch_if_done(batch.pk, look_first=False, items=items) and items:
        return items
    # done elsewhere meanwhile (the sweep), or not yet: what the rows say now
    return list(UploadItem.objects.filter(batch=batch).order_by("id"))


def resume_unfinished() -> int:
    """After a worker restart: redo every received item nobody is working on, and finish
    the batches that can be finished. Returns how many batches were looked at."""
    batches = UploadBatch.objects.filter(
        Q(state=BatchState.QUEUED) | Q(state=BatchState.OPEN, items__state=ItemState.RECEIVED)
    ).distinct()
    pks = list(batches.values_list("pk", flat=True))
    for pk in pks:
        run_batch(pk)
    return len(pks)


def batch_pk_of(batch_id: UUID) -> int | None:
    return UploadBatch.objects.filter(uuid=batch_id).values_list("pk", flat=True).first()
