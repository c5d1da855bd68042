"""The upload page, and the page that follows one upload to its report.

With JavaScript (static/js/upload.js) the page previews what was chosen and sends it in
resumable chunks through ``orders.views.upload_api``; without it, the same form posts the
files in one request (``upload_dicom``). Either way the browser ends on ``upload_batch``,
which polls the server-side progress (htmx, every second) until the report is ready.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from orders.forms.upload import UploadFilesForm, UploadForm
from portal.access import AuthedRequest
from portal.forms.service import show_errors
from portal.rendering import render_page
from portal.staging.report import staged_report
from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.types import ANONYMIZATION_TAGS, Capability, Folder, UploadFile, UploadOutcome, UploadState


def folders_of(request: AuthedRequest) -> tuple[Folder, ...]:
    """The user's folders, when this server has folders."""
    api = get_api()
    if Capability.FOLDER_TREE not in api.capabilities:
        return ()
    return api.folder_tree(actor=request.user, with_counts=False).folders


def upload_form(request: AuthedRequest, data: object = None) -> UploadForm:
    api = get_api()
    return UploadForm(
        data,
        institutions=api.list_institutions(actor=request.user),
        folders=folders_of(request),
    )


def _temporary_files(files: list[UploadedFile]) -> list[UploadFile]:
    return [
        UploadFile(name=f.name or "unnamed", path=f.temporary_file_path(), size=f.size or 0)  # type: ignore[attr-defined]
        for f in files
    ]


@require_http_methods(["GET", "POST"])
@login_required
@csrf_exempt
def upload_page(request: AuthedRequest) -> HttpResponse:
    # Files posted with the form (no JavaScript) go to disk, never to memory; the handlers
    # must be set before the CSRF check reads the body, hence csrf_exempt + csrf_protect.
    request.upload_handlers = [TemporaryFileUploadHandler(request)]
    return _upload_page(request)


@csrf_protect
def _upload_page(request: AuthedRequest) -> HttpResponse:
    form = upload_form(request, request.POST or None)
    files_form = UploadFilesForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        settings_ok, files_ok = form.is_valid(), files_form.is_valid()
        if settings_ok and files_ok:
            try:
                receipt = get_api().upload_dicom(
                    actor=request.user,
                    institution_id=form.cleaned_data["institution_id"],
                    folder_id=form.cleaned_data["folder_id"],
                    anonymize=form.anonymization(),
                    files=_temporary_files(files_form.cleaned_data["dicom_files"]),
                )
            except InvalidInput as error:
                show_errors(form, error, fields=form.service_fields())
                if "files" in error.field_errors:
                    show_errors(files_form, InvalidInput({"dicom_files": error.field_errors["files"]}))
            else:
                return redirect("orders:upload_batch", batch_id=receipt.batch_id)
    context = {
        "section": "upload",
        "form": form,
        "files_form": files_form,
        "tags": ANONYMIZATION_TAGS,
    }
    return render_page(request, "orders/upload.html", context, fragment="settings" if request.htmx else None)


@require_safe
@login_required
def upload_batch(request: AuthedRequest, batch_id: UUID) -> HttpResponse:
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    report = get_api().upload_report(actor=request.user, batch_id=batch_id, page=page)
    context = {
        "section": "upload",
        "report": report,
        "batch": report.batch,
        "done": report.batch.state is UploadState.DONE,
        "outcomes": UploadOutcome,
        "staged": staged_report(report.batch),
    }
    return render_page(request, "orders/upload_batch.html", context, fragment="status")
