"""Institution (location) administration: list, create, edit."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from portal.access import AuthedRequest, admin_required
from portal.forms.institutions import InstitutionEditForm, InstitutionForm
from portal.forms.service import show_errors
from postdicom import get_api
from postdicom.errors import InvalidInput

_TAB = {"section": "admin", "tab": "institutions"}


@require_safe
@admin_required
def institution_list(request: AuthedRequest) -> HttpResponse:
    """Every institution with its address, status and number of users."""
    institutions = get_api().list_institutions(actor=request.user)
    return render(request, "portal/institutions/list.html", {**_TAB, "institutions": institutions})


@require_http_methods(["GET", "POST"])
@admin_required
def institution_create(request: AuthedRequest) -> HttpResponse:
    form = InstitutionForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            created = get_api().create_institution(actor=request.user, draft=form.draft())
        except InvalidInput as error:
            show_errors(form, error)
        else:
            messages.success(request, _("“%(name)s” was added.") % {"name": created.name})
            return redirect("portal:institution_list")
    return render(request, "portal/institutions/form.html", {**_TAB, "form": form})


@require_http_methods(["GET", "POST"])
@admin_required
def institution_edit(request: AuthedRequest, institution_id: UUID) -> HttpResponse:
    api = get_api()
    institution = api.get_institution(actor=request.user, institution_id=institution_id)
    form = InstitutionEditForm(
        request.POST if request.method == "POST" else None, initial=InstitutionEditForm.initial_for(institution)
    )
    if form.is_bound and form.is_valid():
        try:
            saved = api.update_institution(
                actor=request.user,
                institution_id=institution_id,
                draft=form.draft(),
                active=form.cleaned_data["is_active"],
            )
        except InvalidInput as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Changes to “%(name)s” saved.") % {"name": saved.name})
            return redirect("portal:institution_list")
    return render(request, "portal/institutions/form.html", {**_TAB, "form": form, "subject": institution})
