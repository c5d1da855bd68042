"""The upload protocol that static/js/upload.js speaks (JSON, one job per URL); the files
are assembled by the portal's own staging (``portal.staging``), which hands each whole file
to the backend.

* ``upload_preview`` (POST, multipart): the first bytes of up to ``PREVIEW_FILES`` files,
  with their names and real sizes → what each holds (ReadDicomFiles) as JSON.
* ``upload_start`` (POST, the settings form) → the new batch, or the settings fragment with
  the errors next to their fields (400).
* ``upload_register`` (POST, JSON ``{"files": [{name, size, last_modified}]}``) → each
  file's id and the bytes the server already has.
* ``upload_chunk`` (PUT ``?offset=N``, raw bytes) → the bytes received; streamed to disk.
* ``upload_parts`` (PUT, ``X-Upload-Parts`` + the pieces back to back) → each file's bytes
  received: small files travel many to a request.
* ``upload_finish`` (POST) → where to follow the batch.
* ``upload_state`` (GET) → a batch's state, for resuming after a reload.

When the work a request hands on cannot be queued (the broker is away), the bytes it carried
are kept and it answers 503 with ``Retry-After`` and ``{"error", "retry": true}``: the browser
sends it again later (``_unavailable``).
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from orders.views.upload import upload_form
from portal.access import AuthedRequest
from portal.forms.service import show_errors
from portal.rendering import render_page
from portal.staging import receive as staging
from portal.staging.types import UploadChunk, UploadFileInfo
from postdicom import get_api
from postdicom.errors import InvalidInput, Unavailable
from postdicom.types import (
    ANONYMIZATION_TAGS,
    UPLOAD_FILE_SIZE_MAX,
    DicomFileSummary,
    UploadBatchInfo,
    UploadFile,
    UploadFileState,
)

#: Files per preview request, and the most of each file a preview may carry.
PREVIEW_FILES = 50
PREVIEW_BYTES = 4 * 1024 * 1024
#: Files per registration request.
REGISTER_FILES = 500


def _error(message: str, status: int = 400, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _invalid(error: InvalidInput, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": error.message, "errors": error.field_errors}, status=status)


#: Seconds the browser waits before sending again what a busy server could not take.
RETRY_AFTER = 5


def _unavailable(error: Unavailable) -> JsonResponse:
    """Nothing is lost, but the work could not be handed on (the broker is away): the browser
    waits ``Retry-After`` seconds and sends the same request again."""
    answer = JsonResponse({"error": error.message, "retry": True}, status=503)
    answer["Retry-After"] = str(RETRY_AFTER)
    return answer


def _summary_json(item: DicomFileSummary) -> dict[str, Any]:
    order = item.order
    return {
        "name": item.name,
        "readable": item.readable,
        "skipped": item.skipped,
        "reason": item.reason,
        "patient_name": item.patient_display_name,
        "patient_id": item.patient_id,
        "birth_date": item.birth_date,
        "sex": item.sex,
        "modality": item.modality,
        "study_uid": item.study_uid,
        "study_date": item.study_date,
        "study_description": item.study_description,
        "accession_number": item.accession_number,
        "series_uid": item.series_uid,
        "series_number": item.series_number,
        "series_description": item.series_description,
        "sop_instance_uid": item.sop_instance_uid,
        "burned_in": item.burned_in_annotation,
        "checked": item.checked,
        "accession_taken": item.accession_taken,
        "order": (
            {
                "id": str(order.id),
                "label": f"{order.patient_display_name} · {order.modality} · {order.order_date:%Y-%m-%d}",
                "url": reverse("orders:detail", args=[order.id]),
            }
            if order is not None
            else None
        ),
    }


def _file_json(state: UploadFileState) -> dict[str, Any]:
    return {
        "id": str(state.id),
        "name": state.name,
        "size": state.size,
        "received": state.received,
        "outcome": state.outcome.value,
        "last_modified": state.last_modified,
    }


def _batch_json(batch: UploadBatchInfo) -> dict[str, Any]:
    return {
        "id": str(batch.id),
        "state": batch.state.value,
        "institution": batch.institution.name,
        "file_count": batch.file_count,
        "bytes_total": batch.bytes_total,
        "bytes_received": batch.bytes_received,
        "created_at": batch.created_at.isoformat(),
        "report_url": reverse("orders:upload_batch", args=[batch.id]),
        "files_url": reverse("orders:upload_register", args=[batch.id]),
        "finish_url": reverse("orders:upload_finish", args=[batch.id]),
        "parts_url": reverse("orders:upload_parts", args=[batch.id]),
        "chunk_bytes": settings.RAYPORT_UPLOAD_CHUNK_MAX,
    }


def preview_files(request: HttpRequest) -> list[UploadFile] | JsonResponse:
    """The first bytes of the files a preview request carries (``file``), with the name and
    whole size the browser gave each, or the 400 answer saying what is wrong with them."""
    heads = request.FILES.getlist("file")
    names = request.POST.getlist("name")
    sizes = request.POST.getlist("size")
    if not heads or len(heads) > PREVIEW_FILES or len(names) != len(heads) or len(sizes) != len(heads):
        return _error(_("Send between 1 and %(n)d files, each with its name and size.") % {"n": PREVIEW_FILES})
    files = []
    for head, name, size_text in zip(heads, names, sizes, strict=True):
        try:
            size = int(size_text)
        except ValueError:
            return _error(_("A file size must be a whole number."))
        actual = head.size or 0
        if size > UPLOAD_FILE_SIZE_MAX:
            return _error(_("A file may be at most %(n)d GB.") % {"n": UPLOAD_FILE_SIZE_MAX >> 30})
        if actual > PREVIEW_BYTES or size < actual:
            return _error(_("A preview carries at most the first %(n)d MB of a file.") % {"n": PREVIEW_BYTES >> 20})
        path = head.temporary_file_path()  # type: ignore[attr-defined]
        files.append(UploadFile(name=name[:1024], path=path, size=size, head_only=size > actual))
    return files


@require_POST
@login_required
@csrf_exempt
def upload_preview(request: AuthedRequest) -> HttpResponse:
    request.upload_handlers = [TemporaryFileUploadHandler(request)]
    return _upload_preview(request)


@csrf_protect
def _upload_preview(request: AuthedRequest) -> HttpResponse:
    files = preview_files(request)
    if isinstance(files, JsonResponse):
        return files
    institution = request.POST.get("institution_id") or ""
    try:
        institution_id: UUID | None = UUID(institution) if institution else None
    except ValueError:
        institution_id = None
    summaries = get_api().read_dicom_files(actor=request.user, files=files, institution_id=institution_id)
    return JsonResponse({"files": [_summary_json(s) for s in summaries]})


@require_POST
@login_required
def upload_start(request: AuthedRequest) -> HttpResponse:
    form = upload_form(request, request.POST)
    if form.is_valid():
        try:
            batch = staging.start(
                request.user,
                institution_id=form.cleaned_data["institution_id"],
                folder_id=form.cleaned_data["folder_id"],
                anonymize=form.anonymization(),
            )
        except InvalidInput as error:
            show_errors(form, error, fields=form.service_fields())
        else:
            return JsonResponse(_batch_json(batch), status=201)
    context = {"section": "upload", "form": form, "tags": ANONYMIZATION_TAGS}
    return render_page(request, "orders/upload.html", context, fragment="settings", status=400)


@require_POST
@login_required
def upload_register(request: AuthedRequest, batch_id: UUID) -> HttpResponse:
    try:
        payload = json.loads(request.body or b"{}")
        entries = payload["files"]
        if not isinstance(entries, list) or not 1 <= len(entries) <= REGISTER_FILES:
            raise ValueError
        wanted = [_file_info(entry) for entry in entries]
    except (ValueError, KeyError, TypeError):
        return _error(_("Send a list of 1 to %(n)d files, each with a name and a size.") % {"n": REGISTER_FILES})
    try:
        states = staging.register(request.user, batch_id, wanted)
    except InvalidInput as error:
        return _invalid(error)
    except Unavailable as error:
        return _unavailable(error)
    return JsonResponse({"files": [_file_json(state) for state in states]})


def _file_info(entry: Any) -> UploadFileInfo:
    """``{"name": text, "size": whole number, "last_modified": whole number}`` (the last
    optional) as the service's type; ``TypeError`` for anything else (``true`` and ``1.5``
    are not sizes). The service bounds the numbers."""
    name, size, modified = entry["name"], entry["size"], entry.get("last_modified") or 0
    if not isinstance(name, str) or not all(type(n) is int for n in (size, modified)):
        raise TypeError
    return UploadFileInfo(name, size, modified)


def _body_length(request: AuthedRequest) -> int | HttpResponse:
    """The body's declared length, or the error answer when it is missing or over the limit."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return _error(_("A chunk needs a Content-Length."), status=411)
    if length > settings.RAYPORT_UPLOAD_CHUNK_MAX:
        return _error(
            _("A chunk may carry at most %(n)d MB.") % {"n": settings.RAYPORT_UPLOAD_CHUNK_MAX >> 20},
            status=413,
            max_bytes=settings.RAYPORT_UPLOAD_CHUNK_MAX,
        )
    return length


@require_http_methods(["PUT"])
@login_required
def upload_chunk(request: AuthedRequest, batch_id: UUID, file_id: UUID) -> HttpResponse:
    """Never touches ``request.body``: the staging reads the request in 1 MiB pieces."""
    try:
        offset = int(request.GET.get("offset", ""))
        if offset < 0:
            raise ValueError
    except ValueError:
        return _error(_("Say where this chunk starts (offset)."))
    length = _body_length(request)
    if isinstance(length, HttpResponse):
        return length
    try:
        state = staging.write_chunk(request.user, batch_id, file_id, offset, request, length)
    except InvalidInput as error:
        return _invalid(error)
    except Unavailable as error:
        return _unavailable(error)
    status = 200 if state.received == offset + length else 409
    return JsonResponse(_file_json(state), status=status)


def _parts(header: str) -> list[UploadChunk] | None:
    """``X-Upload-Parts: <file id>:<offset>:<length>,…`` → chunks (None when malformed)."""
    try:
        chunks = []
        for text in header.split(","):
            file_id, offset, length = text.strip().split(":")
            chunks.append(UploadChunk(UUID(file_id), int(offset), int(length)))
    except ValueError:
        return None
    return chunks


@require_http_methods(["PUT"])
@login_required
def upload_parts(request: AuthedRequest, batch_id: UUID) -> HttpResponse:
    """Pieces of several files in one request body, described by ``X-Upload-Parts``; the
    body is read in 1 MiB pieces by the staging, like ``upload_chunk``."""
    chunks = _parts(request.headers.get("X-Upload-Parts", ""))
    if not chunks:
        return _error(_("Describe the pieces in X-Upload-Parts as id:offset:length, comma-separated."))
    length = _body_length(request)
    if isinstance(length, HttpResponse):
        return length
    if length != sum(chunk.length for chunk in chunks):
        return _error(_("The pieces do not add up to the request's length."))
    try:
        states = staging.write_chunks(request.user, batch_id, chunks, request)
    except InvalidInput as error:
        return _invalid(error)
    except Unavailable as error:
        return _unavailable(error)
    return JsonResponse({"files": [_file_json(state) for state in states]})


@require_POST
@login_required
def upload_finish(request: AuthedRequest, batch_id: UUID) -> HttpResponse:
    try:
        batch = staging.finish(request.user, batch_id)
    except InvalidInput as error:
        return _invalid(error)
    except Unavailable as error:
        return _unavailable(error)
    return JsonResponse(_batch_json(batch))


@require_safe
@login_required
def upload_state(request: AuthedRequest, batch_id: UUID) -> HttpResponse:
    report = get_api().upload_report(actor=request.user, batch_id=batch_id, page_size=1)
    return JsonResponse(_batch_json(staging.with_progress(report.batch)))
