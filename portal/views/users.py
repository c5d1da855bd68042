"""User administration: list, create, view, edit, password, activate and deactivate."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal.access import AuthedRequest, admin_required
from portal.forms.service import show_errors
from portal.forms.users import NewUserForm, PasswordForm, UserFilterForm, UserForm
from portal.rendering import render_page
from portal.views.memberships import user_groups_context
from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.types import Role, UserQuery


@require_safe
@admin_required
def user_list(request: AuthedRequest) -> HttpResponse:
    """Every user, searchable; the table alone is returned to htmx as the filter changes."""
    filters = UserFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    query = UserQuery(
        text=data.get("q") or "",
        role=Role(data["role"]) if data.get("role") else None,
        include_inactive=data.get("status") != "active",
        page=data.get("page") or 1,
    )
    page = get_api().list_users(actor=request.user, query=query)
    context = {"section": "admin", "tab": "users", "filters": filters, "page": page}
    return render_page(request, "portal/users/list.html", context, fragment="results")


@require_http_methods(["GET", "POST"])
@admin_required
def user_create(request: AuthedRequest) -> HttpResponse:
    api = get_api()
    institutions = api.list_institutions(actor=request.user)
    form = NewUserForm(request.POST or None, institutions=institutions, initial={"role": Role.STAFF.value})
    if request.method == "POST" and form.is_valid():
        try:
            created = api.create_user(actor=request.user, draft=form.draft(), password=form.cleaned_data["password"])
        except InvalidInput as error:
            show_errors(form, error)
        else:
            messages.success(request, _("%(name)s can now sign in.") % {"name": created.full_name})
            return redirect("portal:user_detail", user_id=created.id)
    return render(request, "portal/users/form.html", {"section": "admin", "tab": "users", "form": form})


@require_safe
@admin_required
def user_detail(request: AuthedRequest, user_id: UUID) -> HttpResponse:
    user = get_api().get_user(actor=request.user, user_id=user_id)
    context = {
        "section": "admin",
        "tab": "users",
        "subject": user,
        **user_groups_context(request.user, user_id),
    }
    return render(request, "portal/users/detail.html", context)


@require_http_methods(["GET", "POST"])
@admin_required
def user_edit(request: AuthedRequest, user_id: UUID) -> HttpResponse:
    api = get_api()
    user = api.get_user(actor=request.user, user_id=user_id)
    institutions = api.list_institutions(actor=request.user)
    form = UserForm(request.POST or None, institutions=institutions, initial=UserForm.initial_for(user))
    if request.method == "POST" and form.is_valid():
        try:
            api.update_user(actor=request.user, user_id=user_id, draft=form.draft())
        except InvalidInput as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("portal:user_detail", user_id=user_id)
    context = {"section": "admin", "tab": "users", "form": form, "subject": user}
    return render(request, "portal/users/form.html", context)


@require_http_methods(["GET", "POST"])
@admin_required
def user_password(request: AuthedRequest, user_id: UUID) -> HttpResponse:
    api = get_api()
    user = api.get_user(actor=request.user, user_id=user_id)
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            api.set_user_password(actor=request.user, user_id=user_id, password=form.cleaned_data["password"])
        except InvalidInput as error:
            show_errors(form, error)
        else:
            messages.success(request, _("The new password is set. Give it to %(name)s.") % {"name": user.full_name})
            return redirect("portal:user_detail", user_id=user_id)
    context = {"section": "admin", "tab": "users", "form": form, "subject": user}
    return render(request, "portal/users/password.html", context)


@require_POST
@admin_required
def user_activate(request: AuthedRequest, user_id: UUID) -> HttpResponse:
    user = get_api().set_user_active(actor=request.user, user_id=user_id, active=True)
    messages.success(request, _("%(name)s can sign in again.") % {"name": user.full_name})
    return redirect("portal:user_detail", user_id=user_id)


@require_POST
@admin_required
def user_deactivate(request: AuthedRequest, user_id: UUID) -> HttpResponse:
    try:
        user = get_api().set_user_active(actor=request.user, user_id=user_id, active=False)
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        messages.info(request, _("%(name)s can no longer sign in. Their history is kept.") % {"name": user.full_name})
    return redirect("portal:user_detail", user_id=user_id)
