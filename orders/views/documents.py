"""Clinical documents of an order: attach them, open them, download them, remove them.

Each attached file stands on its own: the accepted ones are stored and each refused one is
shown with its reason. A file larger than ``settings.RAYPORT_DOCUMENT_MAX_BYTES`` is refused
while it streams in (:class:`DocumentUploadHandler`): its bytes are skipped, never written
whole to disk nor held in memory, and the other files of the request are still read.

Files are served from storage in pieces with the type recognised from their content when
they were attached, ``X-Content-Type-Options: nosniff`` and a ``Content-Disposition``:
downloads are attachments; the inline view (for ``<img>``, ``<video>`` and opening a PDF)
also gets a CSP that lets nothing run. Both answer a single byte range (``portal.downloads``:
206, or 416 past the end), so a video can be sought and a download resumed.

A PDF is opened through a page of its own (``document_pdf``): a browser with a PDF viewer of
its own is sent on to the file; one without (many phones and tablets) gets it drawn by pdf.js
(``static/vendor/pdfjs/``, copied by ``make pdfjs``), instead of a download it did not ask for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast
from uuid import UUID

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from orders.forms.upload import DocumentForm
from portal.access import AuthedRequest
from portal.downloads import file_response
from portal.rendering import render_page
from postdicom import get_api
from postdicom.dicom.documents import too_large
from postdicom.errors import InvalidInput
from postdicom.types import RefusedDocument, UploadFile

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)

#: What an inline document may do in the browser: show itself, nothing else.
INLINE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"


class DocumentUploadHandler(TemporaryFileUploadHandler):
    """Streams each file to a temporary file on disk, and skips a file as soon as it grows
    past ``limit`` bytes (its part is deleted, the rest of it read past unwritten), keeping
    its name in ``too_large``; the other files of the request are kept."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.too_large: list[str] = []
        self._received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self._received += len(raw_data)
        if self._received > self.limit:
            self.too_large.append(self.file_name or "document")
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)


@require_POST
@login_required
@csrf_exempt
def document_upload(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    handler = DocumentUploadHandler(request, limit=settings.RAYPORT_DOCUMENT_MAX_BYTES)
    request.upload_handlers = [handler]  # to disk, never to memory; too large: skipped
    return _document_upload(request, order_id, handler)


@csrf_protect
def _document_upload(request: AuthedRequest, order_id: UUID, handler: DocumentUploadHandler) -> HttpResponse:
    api = get_api()
    form = DocumentForm(request.POST, request.FILES)  # reads the request: the handler has run
    reason = too_large(handler.limit).reason
    refused = [RefusedDocument(name=name, reason=reason) for name in handler.too_large]
    errors: list[str] = []
    added = 0
    if request.FILES or not refused:  # every file too large: nothing else to say
        if form.is_valid():
            files = [
                UploadFile(name=f.name or "document", path=f.temporary_file_path(), size=f.size or 0)
                for f in form.cleaned_data["attachments"]
            ]
            try:
                outcome = api.upload_documents(actor=request.user, order_id=order_id, files=files)
            except InvalidInput as error:
                errors = [m for messages_ in error.field_errors.values() for m in messages_]
            else:
                added = len(outcome.added)
                refused += outcome.refused
        else:
            errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    failed = bool(errors) or (bool(refused) and not added)
    if request.htmx:
        detail = api.order_properties(actor=request.user, order_id=order_id)
        context = {
            "detail": detail,
            "order": detail.summary,
            "document_form": DocumentForm(),
            "document_errors": errors,
            "document_refused": refused,
            "document_added": added,
        }
        # 400 when nothing was attached; the page's script swaps the card in all the same.
        return render_page(request, "orders/_documents.html", context, status=400 if failed else 200)
    if added:
        messages.success(
            request, ngettext("%(n)d document attached.", "%(n)d documents attached.", added) % {"n": added}
        )
    for refusal in refused:
        messages.error(
            request, _("%(name)s was not attached: %(reason)s") % {"name": refusal.name, "reason": refusal.reason}
        )
    for message in errors:
        messages.error(request, message)
    return redirect(reverse("orders:detail", args=[order_id]) + "#documents")


@require_POST
@login_required
def document_delete(request: AuthedRequest, order_id: UUID, document_id: UUID) -> HttpResponse:
    removed = get_api().delete_document(actor=request.user, order_id=order_id, document_id=document_id)
    messages.success(request, _("“%(name)s” was removed from the order.") % {"name": removed.name})
    return redirect(reverse("orders:detail", args=[order_id]) + "#documents")


def _serve(request: AuthedRequest, order_id: UUID, document_id: UUID, *, inline: bool) -> HttpResponseBase:
    document, handle = get_api().open_document(
        actor=request.user, order_id=order_id, document_id=document_id, download=not inline
    )
    response = file_response(
        request, handle, as_attachment=not inline, filename=document.name, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if inline:
        response["Content-Security-Policy"] = INLINE_CSP
    return response


@require_safe
@login_required
def document_download(request: AuthedRequest, order_id: UUID, document_id: UUID) -> HttpResponseBase:
    return _serve(request, order_id, document_id, inline=False)


@require_safe
@login_required
def document_view(request: AuthedRequest, order_id: UUID, document_id: UUID) -> HttpResponseBase:
    return _serve(request, order_id, document_id, inline=True)


#: What the PDF page adds to the site's policy: pdf.js runs its parser in a worker and
#: compiles the WebAssembly decoders of scanned pages (no eval of JavaScript: pdf.js is told
#: not to use it for fonts).
_PDF_CSP = csp_update({"script-src": ["'wasm-unsafe-eval'"], "worker-src": ["'self'"]})


def _pdf_csp(view: Callable[P, R]) -> Callable[P, R]:
    return cast("Callable[P, R]", _PDF_CSP(view))  # type: ignore[arg-type]  # typed for HttpRequest


@require_safe
@login_required
@_pdf_csp
def document_pdf(request: AuthedRequest, order_id: UUID, document_id: UUID) -> HttpResponse:
    """A PDF document on a page: the browser's own PDF viewer when it has one, else pdf.js."""
    detail = get_api().order_properties(actor=request.user, order_id=order_id)
    document = next((d for d in detail.documents if d.id == document_id), None)
    if document is None or document.kind != "pdf":
        raise Http404(_("No such PDF document."))
    context = {
        "order": detail.summary,
        "document": document,
        "pdf_url": reverse("orders:document_view", args=[order_id, document_id]),
        "download_url": reverse("orders:document_download", args=[order_id, document_id]),
    }
    return render_page(request, "orders/document_pdf.html", context)
