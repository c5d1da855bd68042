"""Clinical documents of an order: attach them, open them, download them.

Files are served from storage in pieces with the type recognised from their content when
they were attached, ``X-Content-Type-Options: nosniff`` and a ``Content-Disposition``:
downloads are attachments; the inline view (for ``<img>``, ``<video>`` and opening a PDF)
also gets a CSP that lets nothing run. Both answer a single byte range (``portal.downloads``:
206, or 416 past the end), so a video can be sought and a download resumed.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from orders.forms.upload import DocumentForm
from portal.access import AuthedRequest
from portal.downloads import file_response
from portal.rendering import render_page
from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.types import UploadFile

#: What an inline document may do in the browser: show itself, nothing else.
INLINE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"


@require_POST
@login_required
@csrf_exempt
def document_upload(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    request.upload_handlers = [TemporaryFileUploadHandler(request)]  # to disk, never to memory
    return _document_upload(request, order_id)


@csrf_protect
def _document_upload(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    api = get_api()
    form = DocumentForm(request.POST, request.FILES)
    errors: list[str] = []
    if form.is_valid():
        files = [
            UploadFile(name=f.name or "document", path=f.temporary_file_path(), size=f.size or 0)
            for f in form.cleaned_data["attachments"]
        ]
        try:
            added = api.upload_documents(actor=request.user, order_id=order_id, files=files)
        except InvalidInput as error:
            errors = [m for messages_ in error.field_errors.values() for m in messages_]
        else:
            count = len(added)
            if not request.htmx:  # the swapped card shows them; a message would wait for the next page
                messages.success(
                    request, ngettext("%(n)d document attached.", "%(n)d documents attached.", count) % {"n": count}
                )
    else:
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    if request.htmx:
        detail = api.order_properties(actor=request.user, order_id=order_id)
        form = DocumentForm()
        context = {"detail": detail, "order": detail.summary, "document_form": form, "document_errors": errors}
        return render_page(request, "orders/_documents.html", context, status=400 if errors else 200)
    for message in errors:
        messages.error(request, message)
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
