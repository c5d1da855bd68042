"""STOW-RS: storing instances sent as ``multipart/related; type="application/dicom"`` (PS3.18 §10.5).

``POST /dicomweb/`` (PostDICOM's form), ``/dicomweb/studies`` and ``/dicomweb/studies/{study}``.
The body is read as it arrives, each part straight to a file (``multipart.save_parts``);
the files then take the browser upload's path (``upload_dicom``: the same checks,
anonymization, per-file outcomes, joining an order with the same study, Celery ingest), and
the answer waits for the batch to be done (``RAYPORT_STOW_WAIT_SECONDS``), so a client learns
every instance's outcome from the response, as the standard has it:

- 200: every instance stored; 202: some failed, or were stored with a warning
  (``WarningReason``): B000 anonymized or with a note, 0111 already stored (the same image
  sent again: the server holds it, so a success, but nothing new); 409: none stored; 400: a
  body that is no multipart message, or has no part; 411 for a chunked body
  (``Transfer-Encoding: chunked``, no ``Content-Length``) under a server that cannot give one;
  413 past ``RAYPORT_STOW_MAX_MB``; 415 for another media type.
- 503 + ``Retry-After`` when the workers cannot be reached (the files are kept and stored once
  they are back) or the batch is not done in time: sending the same request again is safe,
  instances already stored are answered as stored, with the warning 0111.

Which institution: the ``institution`` query parameter (an id, as in ``/createpatientorder``),
else the first active institution of the user by name. ``folder`` (a folder id) files the
orders in a folder; ``anonymize=basic`` de-identifies with the Basic Profile.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pydicom
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from pydicom.errors import InvalidDicomError

from postdicom import get_api
from postdicom import types as t
from postdicom.contract import Readable
from postdicom.dicom.comments import ERROR_COMMENT, comment
from postdicom.dicom.problems import DicomProblem
from postdicom.dicom.read import summaries_kept, summarize
from postdicom.errors import InvalidInput, Unavailable
from postdicom.server.auth import api_view
from postdicom.server.http import AuthedRequest
from postdicom.server.multipart import MultipartError, Part, TooLarge, media_type_parameters, save_parts
from postdicom.server.problems import problem

log = logging.getLogger(__name__)

#: PS3.18 Table 10.5.3-2 and PS3.4 Annex B status codes used in ``FailureReason`` / ``WarningReason``.
PROCESSING_FAILURE = 0x0110
#: A SOP Instance UID already stored: as a ``FailureReason`` another image under it (refused),
#: as a ``WarningReason`` the same image again (stored before; nothing changed).
DUPLICATE_SOP_INSTANCE = 0x0111
DOES_NOT_MATCH = 0xA900  # the instance does not belong to the study of the request's path
CANNOT_UNDERSTAND = 0xC000  # not a DICOM instance, or one that cannot be read
COERCED = 0xB000  # stored, with data elements changed (anonymized) or a note in the upload report

#: Parts one request may carry.
MAX_PARTS = 10_000

_TAGS = ["SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"]


@dataclass
class _Instance:
    """One part: the UIDs its header names (empty when unreadable) and its outcome."""

    part: Part
    sop_class: str = ""
    sop_instance: str = ""
    study: str = ""
    series: str = ""
    failure: int | None = None
    warning: int | None = None
    reason: str = ""

    @property
    def name(self) -> str:
        return f"stow-{self.part.index:05d}.dcm"


def _read_uids(item: _Instance) -> None:
    """The header's UIDs (the ingest decides whether the file is acceptable; this only names
    it). Read by the ingest's own reader, inside ``summaries_kept`` (``store``), so an ingest
    in this request does not read the header again; a file that reader cannot use is named
    by whatever UIDs pydicom finds in it. The header is not described for DICOMweb here
    (``summarize(describe=True)``): the answer does not need it, and the worker describes
    the stored files after the answer (docs/decisions.md, "STOW-RS round 5")."""
    try:
        with open(item.part.path, "rb") as handle:
            if handle.read(4) == b"PK\x03\x04":
                item.failure, item.reason = CANNOT_UNDERSTAND, _("A ZIP archive is not a DICOM instance.")
                return
    except OSError:
        return
    try:
        summary = summarize(item.part.path)
    except DicomProblem:
        pass
    else:
        item.sop_class, item.sop_instance = summary.sop_class_uid, summary.sop_instance_uid
        item.study, item.series = summary.study_instance_uid, summary.series_instance_uid
        return
    try:
        with open(item.part.path, "rb") as handle:
            ds = pydicom.dcmread(handle, stop_before_pixels=True, specific_tags=_TAGS, force=True)
    except (InvalidDicomError, ValueError, EOFError, OSError, TypeError, AttributeError, KeyError):
        return
    for field, keyword in (
        ("sop_class", "SOPClassUID"),
        ("sop_instance", "SOPInstanceUID"),
        ("study", "StudyInstanceUID"),
        ("series", "SeriesInstanceUID"),
    ):
        value = ds.get(keyword)
        setattr(item, field, str(value).strip() if value is not None else "")


class _Chosen:
    """The institution ``_institution_id`` chose for a user and what they asked for, kept
    ``TTL`` seconds in this process's memory (as ``auth.verified_passwords`` keeps a checked
    password): a client sending a series one instance a request asks once a minute, not on
    every call. Only the early answer and the default are taken from here: the backend checks
    the institution on every upload (``upload_dicom``), and an upload it refuses for the
    institution drops the user's entries (``forget``), so a user removed from it, or an
    institution made inactive, is asked again on the next request. What can lag, by a minute
    at most, is which institution is the default after the user's institutions changed."""

    TTL = 60.0
    SIZE = 1024

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[int, str], tuple[UUID, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, user_pk: int, asked: str) -> UUID | None:
        with self._lock:
            entry = self._entries.get((user_pk, asked))
        return entry[0] if entry is not None and entry[1] >= time.monotonic() else None

    def remember(self, user_pk: int, asked: str, institution_id: UUID) -> None:
        with self._lock:
            self._entries[(user_pk, asked)] = (institution_id, time.monotonic() + self.TTL)
            self._entries.move_to_end((user_pk, asked))
            while len(self._entries) > self.SIZE:
                self._entries.popitem(last=False)

    def forget(self, user_pk: int) -> None:
        with self._lock:
            for key in [key for key in self._entries if key[0] == user_pk]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


chosen_institutions = _Chosen()


@receiver(setting_changed)
def _backend_changed(*, setting: str, **kwargs: object) -> None:
    if setting == "POSTDICOM":  # another backend's institutions (tests switch them)
        chosen_institutions.clear()


def _institution_id(request: AuthedRequest) -> UUID:
    """The asked-for institution if it is one of the caller's, else the first active one by
    name; checked before the body is read, so a wrong one costs no upload (kept a minute:
    ``_Chosen``)."""
    asked = request.GET.get("institution", "").strip()
    known = chosen_institutions.get(request.user.pk, asked)
    if known is not None:
        return known
    chosen = _choose_institution(request, asked)
    chosen_institutions.remember(request.user.pk, asked, chosen)
    return chosen


def _choose_institution(request: AuthedRequest, asked: str) -> UUID:
    mine = [i for i in get_api().list_institutions(actor=request.user) if i.is_active]
    if asked:
        try:
            wanted = UUID(asked)
        except ValueError:
            raise InvalidInput({"institution": _("The institution must be an institution's id.")}) from None
        if wanted not in {i.id for i in mine}:
            raise InvalidInput({"institution_id": _("Choose one of your institutions.")})
        return wanted
    if not mine:
        raise InvalidInput({"institution": _("You belong to no active institution, so images cannot be stored.")})
    return sorted(mine, key=lambda i: (i.name.casefold(), str(i.id)))[0].id


def _options(request: AuthedRequest) -> tuple[UUID | None, t.Anonymization | None]:
    folder_id = None
    if folder := request.GET.get("folder", "").strip():
        try:
            folder_id = UUID(folder)
        except ValueError:
            raise InvalidInput({"folder": _("The folder must be a folder's id.")}) from None
    anonymize = request.GET.get("anonymize", "").strip().lower()
    if anonymize not in ("", "basic"):
        raise InvalidInput({"anonymize": _("anonymize takes one value: basic.")})
    return folder_id, (t.Anonymization(basic_profile=True) if anonymize else None)


def _check_media_type(request: HttpRequest) -> tuple[str, HttpResponse | None]:
    media, params = media_type_parameters(request.META.get("CONTENT_TYPE", ""))
    kind = params.get("type", "application/dicom").lower()
    if media != "multipart/related" or kind != "application/dicom":
        return "", problem(
            415,
            _('Send instances as multipart/related; type="application/dicom" (one part per instance).'),
        )
    boundary = params.get("boundary", "")
    if not boundary:
        return "", problem(400, _("The multipart/related content type needs a boundary."))
    return boundary, None


def _limit() -> int:
    return int(settings.RAYPORT_STOW_MAX_BYTES)


def _too_large() -> HttpResponse:
    megabytes = _limit() // (1024 * 1024)
    return problem(
        413,
        _("A request may carry at most %(n)d MB; send the instances in several requests.") % {"n": megabytes},
    )


def _body(request: HttpRequest) -> Readable | None:
    """Where the body is read from: the request itself when its length is announced, the
    server's input stream for a chunked body when the server ends that stream at the body's
    end (``wsgi.input_terminated``: gunicorn, what ``runportal`` and production use), None
    when it cannot (Django's development server): Django reads no byte of a body without
    ``Content-Length``, so the body would look empty. dicomweb-client sends every body over
    1 MB chunked."""
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if not chunked or request.META.get("CONTENT_LENGTH"):
        return request
    environ = getattr(request, "environ", {})  # a WSGI request's; an ASGI one has none
    if environ.get("wsgi.input_terminated"):
        stream: Readable = environ["wsgi.input"]
        return stream
    return None


def _length_required() -> HttpResponse:
    return problem(
        411,
        _(
            "This server cannot read a chunked body (Transfer-Encoding: chunked); send the "
            "request with a Content-Length, or run the portal under gunicorn."
        ),
    )


@api_view(("POST",))
def store(request: AuthedRequest, study: str | None = None) -> HttpResponse:
    boundary, refused = _check_media_type(request)
    if refused is not None:
        return refused
    body = _body(request)
    if body is None:
        return _length_required()
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    if announced > _limit():
        return _too_large()
    institution_id = _institution_id(request)
    folder_id, anonymize = _options(request)
    work = Path(settings.RAYPORT_UPLOAD_DIR) / "stow" / uuid.uuid4().hex
    work.mkdir(parents=True)
    try:
        try:
            parts = save_parts(body, boundary, work, limit=_limit(), max_parts=MAX_PARTS)
        except TooLarge:
            return _too_large()
        except MultipartError as error:
            return problem(400, error.message)
        if not parts:
            return problem(400, _("The request holds no instance."))
        instances = [_Instance(part) for part in parts]
        with summaries_kept():
            for item in instances:
                _check_part(item, study)
            sent = [item for item in instances if item.failure is None]
            if sent:
                _ingest(request, institution_id, folder_id, anonymize, sent)
        return _answer(request, instances, anonymized=anonymize is not None)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check_part(item: _Instance, study: str | None) -> None:
    content_type, _params = media_type_parameters(item.part.content_type or "application/dicom")
    if content_type != "application/dicom":
        item.failure = CANNOT_UNDERSTAND
        item.reason = _("Only application/dicom parts are taken; this one is %(type)s.") % {"type": content_type}
        return
    _read_uids(item)
    if item.failure is None and study is not None and item.study and item.study != study:
        item.failure = DOES_NOT_MATCH
        item.reason = _("The instance belongs to study %(uid)s, not to the study of the address.") % {"uid": item.study}


def _ingest(
    request: AuthedRequest,
    institution_id: UUID,
    folder_id: UUID | None,
    anonymize: t.Anonymization | None,
    sent: list[_Instance],
) -> None:
    """Hand the files to ``upload_dicom``, wait for the batch, and give each its outcome."""
    api = get_api()
    files = [t.UploadFile(name=item.name, path=str(item.part.path), size=item.part.size) for item in sent]
    in_request = bool(settings.RAYPORT_STOW_IN_REQUEST)
    try:
        receipt = api.upload_dicom(
            actor=request.user,
            institution_id=institution_id,
            files=files,
            folder_id=folder_id,
            anonymize=anonymize,
            store_now=in_request,
        )
    except InvalidInput as error:
        if "institution_id" in error.field_errors:
            chosen_institutions.forget(request.user.pk)  # asked again on the next request
        raise
    outcomes: dict[str, t.UploadFileState] = {state.name: state for state in receipt.files}
    if not in_request:
        _wait(request, receipt.batch_id)
    page, total = 1, len(sent)
    while not in_request and len(outcomes) < total:
        report = api.upload_report(actor=request.user, batch_id=receipt.batch_id, page=page, page_size=500)
        outcomes.update((state.name, state) for state in report.files.items)
        if page * report.files.size >= report.files.total:
            break
        page += 1
    for item in sent:
        _outcome(item, outcomes.get(item.name), anonymized=anonymize is not None)


def _wait(request: AuthedRequest, batch_id: UUID) -> None:
    """Until the batch is done: a few milliseconds apart at first (a small batch takes tens
    of milliseconds), a quarter of a second at most. ``Unavailable`` past the wait limit."""
    deadline = time.monotonic() + settings.RAYPORT_STOW_WAIT_SECONDS
    pause = 0.005
    while True:
        info = get_api().upload_progress(actor=request.user, batch_id=batch_id)
        if info.state is t.UploadState.DONE:
            return
        if time.monotonic() > deadline:
            log.warning("STOW-RS: upload %s not done after %ss", batch_id, settings.RAYPORT_STOW_WAIT_SECONDS)
            raise Unavailable(
                _(
                    "The instances were received but are still being stored. Send the same request "
                    "again in a moment to learn the outcome; instances already stored are answered as stored."
                )
            )
        time.sleep(pause)
        pause = min(pause * 1.5, 0.25)


_FAILED = {
    t.UploadOutcome.CONFLICT: DUPLICATE_SOP_INSTANCE,
    t.UploadOutcome.REJECTED: CANNOT_UNDERSTAND,
    t.UploadOutcome.SKIPPED: CANNOT_UNDERSTAND,
    t.UploadOutcome.EXPANDED: CANNOT_UNDERSTAND,
}


def _outcome(item: _Instance, state: t.UploadFileState | None, *, anonymized: bool) -> None:
    if state is None:
        item.failure, item.reason = PROCESSING_FAILURE, _("The instance was lost on the way to storage.")
        return
    if state.outcome is t.UploadOutcome.DUPLICATE:
        item.warning = DUPLICATE_SOP_INSTANCE
        item.reason = " ".join((_("The instance was already stored; nothing changed."), *state.warnings))
        return
    if state.outcome is t.UploadOutcome.STORED:
        if anonymized or state.warnings:
            item.warning = COERCED
            item.reason = " ".join(state.warnings) or _("The instance was anonymized before it was stored.")
        return
    item.failure = _FAILED.get(state.outcome, PROCESSING_FAILURE)
    item.reason = state.reason


def _ui(value: str) -> dict[str, object]:
    return {"vr": "UI", "Value": [value]} if value else {"vr": "UI"}


def _comment(reason: str) -> dict[str, object]:
    """The outcome's sentence as an ErrorComment (0000,0902), as DIMSE gives it with a status:
    PS3.18 has only the status code, and a client showing why an instance was refused (the
    cloud backend) needs the words. An LO holds 64 characters: a longer sentence is cut
    there and given whole in Rayport's private element (``postdicom.dicom.comments``)."""
    return comment(ERROR_COMMENT, "LO", reason)


def _answer(request: AuthedRequest, instances: list[_Instance], *, anonymized: bool) -> HttpResponse:
    """The PS3.18 Store Instances Response (Table 10.5.3-1) as DICOM JSON."""
    stored = [item for item in instances if item.failure is None]
    failed = [item for item in instances if item.failure is not None]
    referenced = []
    for item in stored:
        entry: dict[str, object] = {"00081150": _ui(item.sop_class), "00081155": _ui(item.sop_instance)}
        if not anonymized and item.study and item.series and item.sop_instance:
            uids = {"study": item.study, "series": item.series, "instance": item.sop_instance}
            entry["00081190"] = {
                "vr": "UR",
                "Value": [request.build_absolute_uri(reverse("dicomweb:instance", kwargs=uids))],
            }
        if item.warning is not None:
            entry["00081196"] = {"vr": "US", "Value": [item.warning]}
            entry.update(_comment(item.reason))
        referenced.append(entry)
    failures = [
        {
            "00081150": _ui(item.sop_class),
            "00081155": _ui(item.sop_instance),
            "00081197": {"vr": "US", "Value": [item.failure]},
            **_comment(item.reason),
        }
        for item in failed
    ]
    body: dict[str, object] = {}
    studies = {item.study for item in stored}
    if not anonymized and len(studies) == 1 and "" not in studies:
        url = request.build_absolute_uri(reverse("dicomweb:study", kwargs={"study": studies.pop()}))
        body["00081190"] = {"vr": "UR", "Value": [url]}
    body["00081198"] = {"vr": "SQ", "Value": failures} if failures else {"vr": "SQ"}
    body["00081199"] = {"vr": "SQ", "Value": referenced} if referenced else {"vr": "SQ"}
    if not stored:
        status = 409
    elif failed or any(item.warning is not None for item in stored):
        status = 202
    else:
        status = 200
    response = JsonResponse(body, status=status, content_type="application/dicom+json")
    response["Cache-Control"] = "no-store"
    reasons = [f"{item.name}: {item.reason}" for item in failed if item.reason]
    if reasons:
        response["X-Error-Reason"] = " ".join(" | ".join(reasons).split())[:200]
    return response
