"""The upload page of an upload-only folder share, and the upload protocol behind it.

The same resumable, chunked protocol as staff uploads (``orders.views.upload_api``, spoken by
static/js/upload.js, assembled by ``portal.staging``), under the link. Who uploads
(docs/decisions.md, "Uploads through an outside share"): the service acts as the share's
owner, since the orders made belong to the owner's institution and folder, but always inside
an empty ``only_orders`` scope, so the visitor reaches none of the owner's orders: the preview
joins nothing and names no order, and the batch, started inside the scope, joins only the
orders it makes (the worker reads that from the batch). Each batch a visitor starts is
remembered in their session and every later request about a batch must name one of those
(the owner's other uploads do not exist here). The page never shows the folder's contents.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from orders.views.upload_api import (
    REGISTER_FILES,
    _body_length,
    _error,
    _file_info,
    _file_json,
    _invalid,
    _parts,
    _summary_json,
    _unavailable,
    preview_files,
)
from portal.forms.service import show_errors
from portal.rendering import render_page
from portal.staging import receive as staging
from portal.staging.report import staged_report
from postdicom import get_api
from postdicom.context import only_orders
from postdicom.errors import InvalidInput, NotFound, Unavailable
from postdicom.types import (
    ANONYMIZATION_TAGS,
    OpenedShare,
    UploadBatchInfo,
    UploadOutcome,
    UploadState,
)
from sharing.public import gate
from sharing.public.csrf import share_csrf_protect
from sharing.public.forms import ShareUploadForm
from sharing.public.pages import GONE, public_context, refused


def _institution_of(opened: OpenedShare) -> UUID | None:
    """Where the files of an upload-only share go: the owner's institution (the first active
    one by name when they have several)."""
    institutions = get_api().current_user(actor=opened.actor).institutions
    active = sorted((i for i in institutions if i.is_active), key=lambda i: i.name.casefold())
    return active[0].id if active else None


def upload_page(request: HttpRequest, token: str, opened: OpenedShare) -> HttpResponse:
    """``share:open`` of an upload-only share."""
    context = public_context(
        request,
        token,
        share=opened,
        form=ShareUploadForm(),
        tags=ANONYMIZATION_TAGS,
        can_take=_institution_of(opened) is not None,
    )
    return render_page(request, "sharing/public/upload.html", context)


UploadView = Callable[..., HttpResponseBase]


def upload_api(view: UploadView) -> UploadView:
    """A JSON request of an upload-only share's page: ``view(request, token, opened, …)``;
    the share refused (or not unlocked) is JSON too, never a page or a redirect. A
    ``batch_id`` must be one this visitor started through this share."""

    @share_csrf_protect
    @wraps(view)
    def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        passage = gate.check(request, token)
        if passage.opened is None:
            if passage.refusal in GONE:
                return _error(_("This link no longer works."), status=410)
            return _error(_("Open the link again and give its password."), status=403)
        if not passage.opened.upload_only:
            return _error(_("This link takes no files."), status=404)
        gate.use_language(request, passage.opened.language)
        batch_id = kwargs.get("batch_id")
        if batch_id is not None and not gate.owns_batch(request, passage.opened.share_id, batch_id):
            return _error(_("No such upload."), status=404)
        return view(request, token, passage.opened, *args, **kwargs)

    return wrapper


def _batch_json(token: str, batch: UploadBatchInfo) -> dict[str, Any]:
    def url(name: str) -> str:
        return reverse(f"share:{name}", kwargs={"token": token, "batch_id": batch.id})

    return {
        "id": str(batch.id),
        "state": batch.state.value,
        "institution": "",
        "file_count": batch.file_count,
        "bytes_total": batch.bytes_total,
        "bytes_received": batch.bytes_received,
        "created_at": batch.created_at.isoformat(),
        "report_url": url("upload_batch"),
        "files_url": url("upload_register"),
        "finish_url": url("upload_finish"),
        "parts_url": url("upload_parts"),
        "chunk_bytes": settings.RAYPORT_UPLOAD_CHUNK_MAX,
    }


def _files_first(view: UploadView) -> UploadView:
    """Files posted go to disk, never to memory; the handlers must be set before the form
    token check reads the body."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        request.upload_handlers = [TemporaryFileUploadHandler(request)]
        return view(request, *args, **kwargs)

    return wrapper


@require_POST
@_files_first
@upload_api
def upload_preview(request: HttpRequest, token: str, opened: OpenedShare) -> HttpResponse:
    """What the chosen files hold, from their first bytes. Read inside an empty scope: no
    file is said to join an order, and no accession number is said to be taken."""
    files = preview_files(request)
    if isinstance(files, JsonResponse):
        return files
    with only_orders(()):
        summaries = get_api().read_dicom_files(actor=opened.actor, files=files, institution_id=_institution_of(opened))
    answers = []
    for summary in summaries:
        answer = _summary_json(summary)
        answer.update(order=None, accession_taken=False)
        answers.append(answer)
    return JsonResponse({"files": answers})


@require_POST
@upload_api
def upload_start(request: HttpRequest, token: str, opened: OpenedShare) -> HttpResponse:
    form = ShareUploadForm(request.POST)
    institution_id = _institution_of(opened)
    if institution_id is None:
        return _error(_("This link cannot take files at the moment. Tell the person who sent it."), status=409)
    if form.is_valid():
        try:
            with only_orders(()):
                batch = staging.start(
                    opened.actor,
                    institution_id=institution_id,
                    folder_id=opened.folder_id,
                    anonymize=form.anonymization(),
                )
        except InvalidInput as error:
            show_errors(form, error, fields=form.service_fields())
        else:
            gate.remember_batch(request, opened.share_id, batch.id)
            return JsonResponse(_batch_json(token, batch), status=201)
    context = public_context(request, token, share=opened, form=form, tags=ANONYMIZATION_TAGS, can_take=True)
    return render_page(request, "sharing/public/upload.html", context, fragment="settings", status=400)


@require_POST
@upload_api
def upload_register(request: HttpRequest, token: str, opened: OpenedShare, batch_id: UUID) -> HttpResponse:
    try:
        payload = json.loads(request.body or b"{}")
        entries = payload["files"]
        if not isinstance(entries, list) or not 1 <= len(entries) <= REGISTER_FILES:
            raise ValueError
        wanted = [_file_info(entry) for entry in entries]
    except (ValueError, KeyError, TypeError):
        return _error(_("Send a list of 1 to %(n)d files, each with a name and a size.") % {"n": REGISTER_FILES})
    try:
        states = staging.register(opened.actor, batch_id, wanted)
    except InvalidInput as error:
        return _invalid(error)
    except Unavailable as error:
        return _unavailable(error)
    return JsonResponse({"files": [_file_json(state) for state in states]})


@require_http_methods(["PUT"])
@upload_api
def upload_chunk(request: HttpRequest, token: str, opened: OpenedShare, batch_id: UUID, file_id: UUID) -> HttpResponse:
    try:
        offset = int(request.GET.get("offset", ""))
        if offset < 0:
            raise ValueError
    except ValueError:
        return _error(_("Say where this chunk starts (offset)."))
    length = _body_length(request)  # type: ignore[arg-type]
    if isinstance(length, HttpResponse):
        return length
    try:
        state = staging.write_chunk(opened.actor, batch_id, file_id, offset, request, length)
    except InvalidInput as error:
        return _invalid(error)
    except Unavailable as error:
        return _unavailable(error)
    return JsonResponse(_file_json(state), status=200 if state.received == offset + length else 409)


@require_http_methods(["PUT"])
@upload_api
def upload_parts(request: HttpRequest, token: str, opened: OpenedShare, batch_id: UUID) -> HttpResponse:
    chunks = _parts(request.headers.get("X-Upload-Parts", ""))
    if not chunks:
        return _error(_("Describe the pieces in X-Upload-Parts as id:offset:length, comma-separated."))
    length = _body_length(request)  # type: ignore[arg-type]
    if isinstance(length, HttpResponse):
        return length
    if length != sum(chunk.length for chunk in chunks):
        return _error(_("The pieces do not add up to the request's length."))
    try:
        states = staging.write_chunks(opened.actor, batch_id, chunks, request)
    except InvalidInput as error:
        return _invalid(error)
    except Unavailable as error:
        return _unavailable(error)
    return JsonResponse({"files": [_file_json(state) for state in states]})


@require_POST
@upload_api
def upload_finish(request: HttpRequest, token: str, opened: OpenedShare, batch_id: UUID) -> HttpResponse:
    """Close the batch; the owner is told (e-mail, access log, audit) once per batch."""
    api = get_api()
    try:
        before = api.upload_report(actor=opened.actor, batch_id=batch_id, page_size=1).batch
        batch = staging.finish(opened.actor, batch_id)
    except InvalidInput as error:
        return _invalid(error)
    except Unavailable as error:
        return _unavailable(error)
    if before.state is UploadState.OPEN:
        api.record_share_upload(
            token=token, client_ip=gate.client_ip(request), file_count=batch.file_count, batch_id=batch.id
        )
    return JsonResponse(_batch_json(token, batch))


@require_safe
@upload_api
def upload_state(request: HttpRequest, token: str, opened: OpenedShare, batch_id: UUID) -> HttpResponse:
    report = get_api().upload_report(actor=opened.actor, batch_id=batch_id, page_size=1)
    return JsonResponse(_batch_json(token, staging.with_progress(report.batch)))


@require_safe
def upload_batch(request: HttpRequest, token: str, batch_id: UUID) -> HttpResponseBase:
    """How far the visitor's upload got: counts and the files that were not stored, never
    the orders they went into. Refreshes itself (htmx) until done."""
    passage = gate.check(request, token)
    if passage.opened is None:
        if passage.locked_out:
            return redirect("share:open", token=token)
        return refused(request, token, passage.refusal, passage.retry_after)
    if not passage.opened.upload_only:
        raise NotFound("no upload here")
    opened = passage.opened
    gate.use_language(request, opened.language)
    if not gate.owns_batch(request, opened.share_id, batch_id):
        raise NotFound("not this visitor's upload")
    report = get_api().upload_report(actor=opened.actor, batch_id=batch_id, page_size=1)
    counts = report.batch.counts
    context = public_context(
        request,
        token,
        share=opened,
        report=report,
        batch=report.batch,
        done=report.batch.state is UploadState.DONE,
        not_stored=counts.get(UploadOutcome.REJECTED.value, 0) + counts.get(UploadOutcome.CONFLICT.value, 0),
        staged=staged_report(report.batch),
    )
    return render_page(request, "sharing/public/upload_batch.html", context, fragment="status")
