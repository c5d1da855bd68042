"""DICOM node administration: list, create, edit, delete (after a confirmation page)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from portal.access import AuthedRequest, admin_required
from portal.forms.nodes import NODE_FIELDS, DicomNodeForm
from portal.forms.service import show_errors
from postdicom import get_api
from postdicom.errors import InvalidInput

_TAB = {"section": "admin", "tab": "nodes"}


@require_safe
@admin_required
def node_list(request: AuthedRequest) -> HttpResponse:
    nodes = get_api().list_dicom_nodes(actor=request.user)
    return render(request, "portal/nodes/list.html", {**_TAB, "nodes": nodes})


@require_http_methods(["GET", "POST"])
@admin_required
def node_create(request: AuthedRequest) -> HttpResponse:
    api = get_api()
    institutions = api.list_institutions(actor=request.user)
    initial = {"port": 104, "institution": str(institutions[0].id) if len(institutions) == 1 else ""}
    form = DicomNodeForm(request.POST if request.method == "POST" else None, institutions=institutions, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            created = api.create_dicom_node(actor=request.user, draft=form.draft())
        except InvalidInput as error:
            show_errors(form, error, fields=NODE_FIELDS)
        else:
            messages.success(request, _("DICOM node “%(name)s” was added.") % {"name": created.name})
            return redirect("portal:node_list")
    context = {**_TAB, "form": form, "institutions": institutions}
    return render(request, "portal/nodes/form.html", context)


@require_http_methods(["GET", "POST"])
@admin_required
def node_edit(request: AuthedRequest, node_id: UUID) -> HttpResponse:
    api = get_api()
    node = api.get_dicom_node(actor=request.user, node_id=node_id)
    institutions = api.list_institutions(actor=request.user)
    form = DicomNodeForm(
        request.POST if request.method == "POST" else None,
        institutions=institutions,
        initial=DicomNodeForm.initial_for(node),
    )
    if form.is_bound and form.is_valid():
        try:
            saved = api.update_dicom_node(actor=request.user, node_id=node_id, draft=form.draft())
        except InvalidInput as error:
            show_errors(form, error, fields=NODE_FIELDS)
        else:
            messages.success(request, _("Changes to “%(name)s” saved.") % {"name": saved.name})
            return redirect("portal:node_list")
    context = {**_TAB, "form": form, "subject": node, "institutions": institutions}
    return render(request, "portal/nodes/form.html", context)


@require_http_methods(["GET", "POST"])
@admin_required
def node_delete(request: AuthedRequest, node_id: UUID) -> HttpResponse:
    """GET asks to confirm; POST deletes."""
    api = get_api()
    node = api.get_dicom_node(actor=request.user, node_id=node_id)
    if request.method == "POST":
        api.delete_dicom_node(actor=request.user, node_id=node_id)
        messages.success(request, _("DICOM node “%(name)s” was deleted.") % {"name": node.name})
        return redirect("portal:node_list")
    return render(request, "portal/nodes/delete.html", {**_TAB, "subject": node})
