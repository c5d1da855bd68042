"""The upload methods of ``CloudBackend``: files sent to the image server by STOW-RS.

A batch lives on this portal's disk (``manifest``) until the server has every file; a Celery
worker (``postdicom.cloud.tasks``) sends it with ``send_batch``, and so does ``upload_dicom``
with ``store_now``. Per file, in this order, with the local backend's own code:

1. a ZIP archive is expanded (``postdicom.dicom.archives``; the archive is ``EXPANDED``,
   each entry a file of its own);
2. with anonymization, the file is anonymized into a copy (``postdicom.dicom.anonymize``,
   the batch's UID map kept in the manifest, so a file sent again has the same new UIDs),
   the next request's files in a thread while the current request is sent (``READ_AHEAD``);
3. its header is read (``postdicom.dicom.read``): a DICOMDIR is ``SKIPPED``, a file the
   local backend would refuse is ``REJECTED`` with the same reason, and is not sent;
4. the rest go by STOW-RS (``stow``), to the batch's institution (the ``institution`` query
   parameter a Rayport reads; PostDICOM's cloud ignores it), as the batch's user; each
   file's outcome is written to the manifest after each request.

Once the batch is finished and every file has its outcome, the orders that received images
are found by their studies (QIDO-RS: a Rayport names a study's order in (0011,1001)) and,
with a folder, filed in it (AddOrderToFolder); a folder that cannot be used is a note.

Who sees a batch: the user who started it, and this portal's superusers; ``NotFound`` for
anyone else. A file the server already holds is answered as stored with the warning 0111,
and is ``DUPLICATE`` here, as the local backend says of it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
import uuid
from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext as _

from postdicom import handoff
from postdicom import types as t
from postdicom.cloud import dicomweb, manifest, queue, stow
from postdicom.cloud.manifest import Entry, Manifest
from postdicom.dicom.preview import read_summary, summary_for
from postdicom.dicom.problems import DicomProblem, ProblemCode, stored_params, stored_sentence, stored_warning_sentence
from postdicom.dicom.read import DicomSummary, summarize
from postdicom.errors import Forbidden, InvalidInput, NotFound, PostDicomError, Unavailable

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from postdicom.cloud.transport import CloudOptions, Transport

log = logging.getLogger(__name__)

#: At most this many orders of a batch are looked up for its report, and refused files listed.
ORDER_LIMIT = 50
PROBLEM_LIMIT = 500
#: A batch whose last try is older than this is sent again by the workers' sweep (a task
#: retrying with backoff tries at least once a minute).
SWEEP_AFTER = dt.timedelta(seconds=90)

_NOTES = {
    "folder_failed": lambda p: _("The orders could not be filed in the folder: %(reason)s") % p,
    "orders_unknown": lambda p: _("The image server did not say which orders received the images: %(reason)s") % p,
}


def note_sentence(note: dict[str, Any]) -> str:
    words = _NOTES.get(str(note.get("code")))
    try:
        return words(note.get("params") or {}) if words else str(note.get("code"))
    except (KeyError, TypeError):
        return str(note.get("code"))


class CloudUploadsMixin:
    """Mixed into ``CloudBackend``, whose transport and options it uses."""

    wire: Transport
    options: CloudOptions

    if TYPE_CHECKING:  # the backend's own methods, which these use

        def _as(self, actor: User) -> dict[str, str]:
            raise NotImplementedError

        def order_properties(self, *, actor: User, order_id: UUID) -> t.OrderDetail:
            raise NotImplementedError

        def institution_name(self, institution_id: UUID | str) -> str:
            raise NotImplementedError

        def search_orders(self, *, actor: User, query: t.OrderQuery) -> t.Page[t.OrderSummary]:
            raise NotImplementedError

        def add_order_to_folders(self, *, actor: User, order_id: UUID, folder_ids: Sequence[UUID]) -> int:
            raise NotImplementedError

        def list_folders(
            self, *, actor: User, parent_id: UUID | None = None, name: str = "", with_orders: bool = False
        ) -> t.FolderListing:
            raise NotImplementedError

    # --- Reading files before they are sent ----------------------------------------------------

    def read_dicom_files(
        self, *, actor: User, files: Sequence[t.UploadFile], institution_id: UUID | None = None
    ) -> tuple[t.DicomFileSummary, ...]:
        self._as(actor)
        outcomes = [(f.name, read_summary(f)) for f in files]
        readable = [o for _name, o in outcomes if isinstance(o, DicomSummary)]
        by_study, by_accession = self._joined_orders(actor, institution_id, readable)
        results = []
        for name, outcome in outcomes:
            order = None
            if isinstance(outcome, DicomSummary):
                accession = outcome.accession_number.strip()[:16].upper()
                order = by_study.get(outcome.study_instance_uid) or by_accession.get(accession)
            # Whether an order the user cannot see holds the accession number, the server
            # does not say: a new order's ``accession_taken`` is None (unknown), not False.
            results.append(summary_for(name, outcome, order, accession_taken=None))
        return tuple(results)

    def _joined_orders(
        self, actor: User, institution_id: UUID | None, summaries: list[DicomSummary]
    ) -> tuple[dict[str, t.OrderSummary], dict[str, t.OrderSummary]]:
        """The orders of ``institution_id`` the actor sees on the server that files would
        join: by Study Instance UID (QIDO-RS, the study's order), else by accession number
        (GetPatientOrderList; a scheduled order first). Whether another order, unseen, holds
        an accession number the server does not say (``accession_taken`` is None)."""
        if institution_id is None or not summaries:
            return {}, {}
        by_study: dict[str, t.OrderSummary] = {}
        for study_uid, order_id in self._orders_of_studies(actor, {s.study_instance_uid for s in summaries}).items():
            summary = self._summary(actor, order_id)
            if summary is not None and summary.institution.id == institution_id:
                by_study[study_uid] = summary
        by_accession: dict[str, t.OrderSummary] = {}
        accessions = {s.accession_number.strip()[:16] for s in summaries if s.accession_number.strip()}
        for accession in sorted(accessions):
            query = t.OrderQuery(accession_number=accession, institution_ids=(institution_id,), page_size=20)
            found = [
                o
                for o in self.search_orders(actor=actor, query=query).items
                if o.accession_number.upper() == accession.upper()
            ]
            found.sort(key=lambda o: o.status is not t.OrderStatus.SCHEDULED)
            if found:
                by_accession[accession.upper()] = found[0]
        return by_study, by_accession

    def _orders_of_studies(self, actor: User, study_uids: Iterable[str]) -> dict[str, UUID]:
        """Study Instance UID → the order holding it, for the studies the actor sees (QIDO-RS,
        up to 50 UIDs a request). Servers that do not name orders (PostDICOM's cloud) give none."""
        uids = sorted(u for u in study_uids if u)
        found: dict[str, UUID] = {}
        for start in range(0, len(uids), 50):
            chunk = uids[start : start + 50]
            params = {"StudyInstanceUID": ",".join(chunk), "limit": str(len(chunk))}
            answer = self.wire.get_json("studies", params=params, headers=self._as(actor))
            for item in dicomweb.iter_json(answer):
                study = dicomweb.study(item)
                if dicomweb.names_order(item):
                    found[study.study_uid] = study.order_id
        return found

    def _summary(self, actor: User, order_id: UUID) -> t.OrderSummary | None:
        try:
            return self.order_properties(actor=actor, order_id=order_id).summary
        except (NotFound, Forbidden):
            return None

    # --- Batches -------------------------------------------------------------------------------

    def start_upload(
        self,
        *,
        actor: User,
        institution_id: UUID,
        folder_id: UUID | None = None,
        anonymize: t.Anonymization | None = None,
    ) -> t.UploadBatchInfo:
        return self._new_batch(actor, institution_id, folder_id, anonymize).info()

    def _new_batch(
        self, actor: User, institution_id: UUID, folder_id: UUID | None, anonymize: t.Anonymization | None
    ) -> Manifest:
        self._as(actor)
        errors: dict[str, Any] = {}
        replacements: dict[str, str] = {}
        if anonymize is not None and anonymize.active:
            from postdicom.dicom.anonymize import validate_replacements

            try:
                replacements = validate_replacements(anonymize.replacements)
            except InvalidInput as error:
                errors.update(error.field_errors)
        if self.options.institutions and not self.institution_name(institution_id):
            errors["institution_id"] = _("Choose one of the institutions offered.")
        if folder_id is not None:
            try:
                self.list_folders(actor=actor, parent_id=folder_id)
            except (NotFound, Forbidden, InvalidInput):
                errors["folder_id"] = _("Choose one of your folders.")
        if errors:
            raise InvalidInput(errors)
        basic = bool(anonymize and anonymize.basic_profile)
        secret = ""
        if basic:
            from postdicom.dicom.uids import UidMap

            secret = UidMap.new().secret_hex
        batch = Manifest(
            id=str(uuid.uuid4()),
            username=actor.get_username(),
            created_by=actor.get_full_name() or actor.get_username(),
            created_at=timezone.now().isoformat(),
            institution_id=str(institution_id),
            institution_name=self.institution_name(institution_id),
            folder_id=str(folder_id) if folder_id else "",
            replacements=replacements,
            basic_profile=basic,
            uid_secret=secret,
        )
        manifest.create(batch)
        return batch

    def _visible(self, actor: User, batch_id: UUID) -> Manifest:
        self._as(actor)
        batch = manifest.read(batch_id)
        if batch is None or not (batch.username == actor.get_username() or actor.is_superuser):
            raise NotFound(_("No such upload."))
        return batch

    def add_upload_files(self, *, actor: User, batch_id: UUID, files: Sequence[t.UploadFile]) -> t.UploadBatchInfo:
        self._visible(actor, batch_id)
        info = self._take(batch_id, files)
        queue.send_batch(batch_id)
        return info

    def _take(self, batch_id: UUID | str, files: Sequence[t.UploadFile]) -> t.UploadBatchInfo:
        """Move ``files`` into the batch (``InvalidInput`` before any is moved when one is
        missing, or the batch is finished)."""
        if not files:
            raise InvalidInput({"files": _("Choose at least one file.")})
        missing = [f.name for f in files if not os.path.isfile(f.path)]
        if missing:
            raise InvalidInput({"files": _("These files are missing: %(names)s") % {"names": ", ".join(missing)}})
        with manifest.changing(batch_id) as batch:
            if batch is None:
                raise NotFound(_("No such upload."))
            if batch.state != t.UploadState.OPEN.value:
                raise InvalidInput({"batch_id": _("This upload is finished; start a new one to send more files.")})
            taken = {e.name for e in batch.files if not e.parent}
            received = [
                (manifest.new_entry(_unique(_clean(upload.name), taken), os.path.getsize(upload.path)), upload.path)
                for upload in files
            ]
            manifest.take_in(batch_id, received)
            batch.files += [entry for entry, _path in received]
            return batch.info()

    def finish_upload(self, *, actor: User, batch_id: UUID) -> t.UploadBatchInfo:
        self._visible(actor, batch_id)
        with manifest.changing(batch_id) as batch:
            assert batch is not None
            opened = batch.state == t.UploadState.OPEN.value
            if opened:
                batch.state = t.UploadState.QUEUED.value
            info = batch.info()
        if opened:
            queue.send_batch(batch_id)
        return info

    def upload_progress(self, *, actor: User, batch_id: UUID) -> t.UploadBatchInfo:
        return self._visible(actor, batch_id).info()

    def upload_report(self, *, actor: User, batch_id: UUID, page: int = 1, page_size: int = 100) -> t.UploadReport:
        batch = self._visible(actor, batch_id)
        order_ids = list(dict.fromkeys(UUID(e.order_id) for e in batch.files if e.order_id))[:ORDER_LIMIT]
        orders = [s for s in (self._summary(actor, order_id) for order_id in order_ids) if s is not None]
        seen = {o.id for o in orders}
        refused = (t.UploadOutcome.REJECTED.value, t.UploadOutcome.CONFLICT.value)
        problems = [e for e in batch.files if e.outcome in refused][:PROBLEM_LIMIT]
        page, page_size = max(page, 1), max(page_size, 1)
        shown = batch.files[(page - 1) * page_size : page * page_size]
        return t.UploadReport(
            batch=batch.info(),
            orders=tuple(orders),
            problems=tuple(_state(e, seen) for e in problems),
            notes=tuple(note_sentence(n) for n in batch.notes),
            files=t.Page(
                items=tuple(_state(e, seen) for e in shown), total=len(batch.files), number=page, size=page_size
            ),
        )

    def upload_dicom(
        self,
        *,
        actor: User,
        institution_id: UUID,
        files: Sequence[t.UploadFile],
        folder_id: UUID | None = None,
        anonymize: t.Anonymization | None = None,
        store_now: bool = False,
    ) -> t.UploadReceipt:
        self._as(actor)
        handoff.require_files(files)
        batch = self._new_batch(actor, institution_id, folder_id, anonymize)
        self._take(batch.id, files)
        with manifest.changing(batch.id) as taken:
            assert taken is not None
            taken.state = t.UploadState.QUEUED.value
            keys = [e.id for e in taken.files]
        if not store_now:
            queue.send_batch(batch.id)
            return t.UploadReceipt(batch_id=UUID(batch.id), file_count=len(files))
        self.send_batch(batch.id)
        done = manifest.read(batch.id)
        assert done is not None
        by_key = {e.id: e for e in done.files}
        return t.UploadReceipt(
            batch_id=UUID(batch.id), file_count=len(files), files=tuple(_state(by_key[k], set()) for k in keys)
        )

    # --- Sending (a worker, or ``upload_dicom`` with ``store_now``) ----------------------------

    def send_batch(self, batch_id: UUID | str) -> bool:
        """Send what the batch has not sent, and file it once finished. False when another
        process is sending it (it sends what was added meanwhile too). ``Unavailable`` when
        the server cannot be reached: what has no outcome yet is sent again later."""
        while True:
            with manifest.sending(batch_id) as mine:
                if not mine:
                    return False
                self._send_pending(batch_id)
            batch = manifest.read(batch_id)
            if batch is None or not batch.has_work:
                return True

    def _send_pending(self, batch_id: UUID | str) -> None:
        from django.contrib.auth import get_user_model

        with manifest.changing(batch_id) as batch:
            if batch is None:
                return
            batch.attempt_at = timezone.now().isoformat()
        actor = get_user_model().objects.filter(username=batch.username).first()
        if actor is None or not actor.is_active:
            self._close(batch_id, _("The user who started this upload can no longer send images."))
            return
        headers = self._as(actor)
        params = {"institution": batch.institution_id}
        while True:
            _expand_archives(batch_id)  # files added meanwhile too
            batch = manifest.read(batch_id)
            if batch is None:
                return
            pending = batch.pending[: stow.MAX_FILES * 4]
            if not pending:
                break
            with contextlib.closing(_prepared(batch, pending)) as prepared:
                for ready, outcomes in prepared:
                    self._send_part(batch_id, ready, outcomes, params=params, headers=headers)
        batch = manifest.read(batch_id)
        if batch is not None and batch.state != t.UploadState.OPEN.value and not batch.filed:
            self._file(actor, batch)

    def _send_part(
        self,
        batch_id: UUID | str,
        ready: list[stow.Outgoing],
        outcomes: dict[str, _Outcome],
        *,
        params: dict[str, str],
        headers: dict[str, str],
    ) -> None:
        """Send prepared files (a request, or more) and write every outcome, those of the files
        refused before sending (``outcomes``) too, even when the sending fails half-way."""
        try:
            for group in stow.requests_of(ready):
                results = stow.store(
                    self.wire,
                    group,
                    params=params,
                    headers=headers,
                    retries=self.options.retries,
                    backoff=self.options.backoff,
                )
                _write_outcomes(batch_id, {k: _from_result(r) for k, r in results.items()})
        finally:
            _write_outcomes(batch_id, outcomes)
            _remove_copies(ready)

    def _close(self, batch_id: UUID | str, reason: str) -> None:
        with manifest.changing(batch_id) as batch:
            assert batch is not None
            for entry in batch.pending:
                entry.outcome, entry.code, entry.reason = t.UploadOutcome.REJECTED.value, "", reason
            if batch.state != t.UploadState.OPEN.value:
                batch.state, batch.filed = t.UploadState.DONE.value, True
        manifest.remove_files(batch_id)

    def _file(self, actor: User, batch: Manifest) -> None:
        """The end of a finished batch: each stored file's order, the folder, done."""
        stored = (t.UploadOutcome.STORED.value, t.UploadOutcome.DUPLICATE.value)
        studies = {e.study_uid for e in batch.files if e.outcome in stored and e.study_uid}
        notes: list[dict[str, Any]] = []
        orders: dict[str, UUID] = {}
        try:
            orders = self._orders_of_studies(actor, studies)
        except Unavailable:
            raise
        except PostDicomError as error:
            notes.append({"code": "orders_unknown", "params": {"reason": str(error)}})
        if batch.folder_id:
            for order_id in dict.fromkeys(orders.values()):
                try:
                    self.add_order_to_folders(actor=actor, order_id=order_id, folder_ids=[UUID(batch.folder_id)])
                except Unavailable:
                    raise
                except PostDicomError as error:
                    notes.append({"code": "folder_failed", "params": {"reason": str(error)}})
                    break
        with manifest.changing(batch.id) as current:
            assert current is not None
            for entry in current.files:
                if entry.outcome in stored and entry.study_uid in orders:
                    entry.order_id = str(orders[entry.study_uid])
            current.notes.extend(notes)
            current.filed, current.state = True, t.UploadState.DONE.value
        manifest.remove_files(batch.id)


def _clean(name: str) -> str:
    """A file's name as the local backend keeps it: no control characters nor leading "/"."""
    cleaned = "".join(c for c in (name or "").replace("\\", "/") if c >= " ").strip().lstrip("/")
    return cleaned[-1024:] or "unnamed"


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name (2)``… before its extension when the batch already has it (as the
    local backend names a file added twice)."""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        stem, dot, extension = name.rpartition(".")
        candidate = f"{stem} ({number}).{extension}" if dot and stem else f"{name} ({number})"
    taken.add(candidate)
    return candidate


def _state(entry: Entry, seen: set[UUID]) -> t.UploadFileState:
    """A file as the contract has it; its order named when the reader saw it in the report
    (``seen``; none in ``upload_dicom``'s receipt, as on the local backend)."""
    order_id = UUID(entry.order_id) if entry.order_id and UUID(entry.order_id) in seen else None
    return t.UploadFileState(
        id=UUID(entry.id),
        name=entry.name,
        size=entry.size,
        received=entry.size,
        outcome=t.UploadOutcome(entry.outcome),
        reason=stored_sentence(entry.code, entry.reason),
        order_id=order_id,
        warnings=tuple(stored_warning_sentence(w) for w in entry.warnings),
    )


_Outcome = dict[str, Any]


def _from_result(result: stow.Result) -> _Outcome:
    return {"outcome": result.outcome.value, "code": "", "reason": result.reason, "warnings": list(result.warnings)}


def _from_problem(problem: DicomProblem) -> _Outcome:
    outcome = t.UploadOutcome.SKIPPED if problem.code is ProblemCode.DICOMDIR else t.UploadOutcome.REJECTED
    return {"outcome": outcome.value, "code": problem.code.value, "reason": problem.stored(), "warnings": []}


def _write_outcomes(batch_id: UUID | str, outcomes: dict[str, _Outcome]) -> None:
    """Write the outcomes (by file id); a stored file keeps the warnings found before it was
    sent. The files that have one leave the disk."""
    if not outcomes:
        return
    with manifest.changing(batch_id) as batch:
        if batch is None:
            return
        for entry in batch.files:
            change = outcomes.get(entry.id)
            if change is None or entry.final:
                continue
            entry.outcome, entry.code, entry.reason = change["outcome"], change["code"], change["reason"][:1000]
            entry.warnings = [*entry.warnings, *change["warnings"]]
            if entry.final:
                manifest.file_path(batch_id, entry).unlink(missing_ok=True)


#: Anonymize (and read) the next request's files in a thread while the current request is
#: being sent (bench/README.md, "Read-ahead"): the sending waits on the network and the
#: server, the anonymizing on this process's CPU. Off: one after the other (the bench's before).
READ_AHEAD = True

_Prepared = tuple[list[stow.Outgoing], dict[str, _Outcome]]


def _prepared(batch: Manifest, pending: list[Entry]) -> Generator[_Prepared, None, None]:
    """``pending`` prepared (``_prepare``) a request's worth of files at a time; with an
    anonymized batch and ``READ_AHEAD``, the next part is prepared while the caller sends the
    one it was given. A part prepared ahead but never taken (the sending failed) leaves no
    copy behind: its files are prepared again on the next try."""
    parts = [pending[i : i + stow.MAX_FILES] for i in range(0, len(pending), stow.MAX_FILES)]
    if not READ_AHEAD or batch.anonymization is None or len(parts) < 2:
        for part in parts:
            yield _prepare(batch, part)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cloud-read-ahead") as ahead:
        coming = ahead.submit(_prepare, batch, parts[0])
        for following in [*parts[1:], None]:
            current = coming.result()
            if following is not None:
                coming = ahead.submit(_prepare, batch, following)
            taken = False
            try:
                yield current
                taken = True
            finally:
                if not taken and following is not None:  # closed early: the sending failed
                    _remove_copies(coming.result()[0])


def _remove_copies(ready: Iterable[stow.Outgoing]) -> None:
    """The anonymized copies made to send (the originals stay until they have an outcome)."""
    for item in ready:
        if item.path.name.endswith(".anon"):
            item.path.unlink(missing_ok=True)


def _prepare(batch: Manifest, pending: list[Entry]) -> _Prepared:
    """The files to send (anonymized when asked, read as the local ingest reads them), and the
    outcomes of those that are not sent (refused, skipped). Warnings found while reading are
    kept on the entry (written with its outcome)."""
    request = batch.anonymization
    uid_map = None
    if request is not None and batch.basic_profile:
        from postdicom.dicom.uids import UidMap

        uid_map = UidMap.from_hex(batch.uid_secret)
    ready: list[stow.Outgoing] = []
    outcomes: dict[str, _Outcome] = {}
    found: dict[str, tuple[str, list[Any]]] = {}
    for entry in pending:
        source = manifest.file_path(batch.id, entry)
        warnings: list[Any] = []
        try:
            if not source.exists():
                raise DicomProblem.of(ProblemCode.UNREADABLE)
            path = source
            if request is not None:
                from postdicom.dicom.anonymize import anonymize_file

                path = source.with_name(source.name + ".anon")
                path.unlink(missing_ok=True)
                report = anonymize_file(source, path, request, uid_map)
                warnings.extend(w.stored() for w in report.warnings)
            summary = summarize(path)
        except DicomProblem as problem:
            outcomes[entry.id] = _from_problem(problem)
            continue
        except InvalidInput as error:  # replacement values: checked when the batch was made
            outcomes[entry.id] = {
                "outcome": t.UploadOutcome.REJECTED.value,
                "code": "",
                "reason": str(error),
                "warnings": [],
            }
            continue
        except OSError:
            outcomes[entry.id] = _from_problem(DicomProblem.of(ProblemCode.UNREADABLE))
            continue
        except Exception:  # pydicom on a file nobody foresaw: that file fails, never the batch
            log.warning("Cloud upload %s: %s could not be read", batch.id, entry.name, exc_info=True)
            outcomes[entry.id] = _from_problem(DicomProblem.of(ProblemCode.DAMAGED))
            continue
        warnings.extend(w.stored() for w in summary.warnings if w.stored() not in warnings)
        found[entry.id] = (summary.study_instance_uid, warnings)
        ready.append(stow.Outgoing(entry.id, Path(path), summary.sop_instance_uid, path.stat().st_size))
    if found:
        with manifest.changing(batch.id) as current:
            assert current is not None
            for entry in current.files:
                if entry.id in found:
                    entry.study_uid, entry.warnings = found[entry.id][0], found[entry.id][1]
    return ready, outcomes


def _expand_archives(batch_id: UUID | str) -> None:
    """Each pending ZIP archive: its entries become files of the batch, the archive
    ``EXPANDED`` (or ``REJECTED`` when it cannot be read as a whole)."""
    from postdicom.dicom.archives import ArchiveRefused, MemberStatus, iter_zip
    from postdicom.dicom.sniff import HEAD_FOR_ZIP, is_zip_head

    batch = manifest.read(batch_id)
    if batch is None:
        return
    archives: list[Entry] = []
    plain: set[str] = set()
    for entry in batch.pending:
        if entry.looked:
            continue
        try:
            with open(manifest.file_path(batch_id, entry), "rb") as handle:
                is_archive = not entry.parent and is_zip_head(handle.read(HEAD_FOR_ZIP))
        except OSError:
            is_archive = False
        if is_archive:
            archives.append(entry)
        else:
            plain.add(entry.id)
    if plain:
        with manifest.changing(batch_id) as current:
            assert current is not None
            for entry in current.files:
                entry.looked = entry.looked or entry.id in plain
    for archive in archives:
        source = manifest.file_path(batch_id, archive)
        work = source.with_name(source.name + ".x")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        children: list[Entry] = []
        outcome: _Outcome = {"outcome": t.UploadOutcome.EXPANDED.value, "code": "", "reason": "", "warnings": []}
        try:
            for member in iter_zip(source, work):
                child = manifest.new_entry(f"{archive.name}/{member.name}", member.size, parent=archive.id)
                child.looked = True  # an archive inside an archive is not opened
                if member.status is MemberStatus.EXTRACTED and member.path is not None:
                    os.replace(member.path, manifest.file_path(batch_id, child))
                else:
                    skipped = member.status is MemberStatus.SKIPPED
                    child.outcome = (t.UploadOutcome.SKIPPED if skipped else t.UploadOutcome.REJECTED).value
                    child.code = (
                        ProblemCode.DICOMDIR.value if skipped else (member.problem or ProblemCode.UNREADABLE).value
                    )
                    child.reason = stored_params(member.params, member.reason)
                children.append(child)
        except ArchiveRefused as refused:
            outcome = {
                "outcome": t.UploadOutcome.REJECTED.value,
                "code": refused.code.value,
                "reason": stored_params(refused.params, refused.reason),
                "warnings": [],
            }
        finally:
            shutil.rmtree(work, ignore_errors=True)
        with manifest.changing(batch_id) as current:
            assert current is not None
            current.files.extend(children)
        _write_outcomes(batch_id, {archive.id: outcome})


def sweep_due(batch: Manifest, now: dt.datetime) -> bool:
    """Whether the sweep should queue the batch: it has work and no try for a while."""
    if not batch.has_work:
        return False
    if not batch.attempt_at:
        return True
    return now - dt.datetime.fromisoformat(batch.attempt_at) > SWEEP_AFTER
