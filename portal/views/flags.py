"""The flag dictionary: flag groups and their coloured flags, on one page.

Adding a group or a flag works as a plain form POST with a redirect; with htmx the same
POST returns only the part of the page that changed (the dictionary, or one group's card),
errors included, so the administrator stays where they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from portal.access import AuthedRequest, admin_required
from portal.forms.flags import FlagForm, FlagGroupForm, new_flag_form
from portal.forms.service import show_errors
from portal.rendering import render_page
from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.types import Flag, FlagGroup

_TAB = {"section": "admin", "tab": "flags"}
_LIST = "portal/flags/list.html"


@dataclass(frozen=True)
class GroupCard:
    """One group's card on the list page: the group, its add-a-flag form, a status line."""

    group: FlagGroup
    form: FlagForm
    notice: str = ""


def _from_htmx(request: HttpRequest) -> bool:
    """Whether htmx sent the request (django-htmx's middleware sets ``request.htmx``)."""
    return bool(getattr(request, "htmx", False))


def _dictionary(request: AuthedRequest) -> tuple[FlagGroup, ...]:
    return get_api().flag_dictionary(actor=request.user)


def _group(groups: Sequence[FlagGroup], group_id: UUID) -> FlagGroup:
    for group in groups:
        if group.id == group_id:
            return group
    raise Http404(_("No such flag group."))


def _flag(groups: Sequence[FlagGroup], flag_id: UUID) -> tuple[FlagGroup, Flag]:
    for group in groups:
        for flag in group.flags:
            if flag.id == flag_id:
                return group, flag
    raise Http404(_("No such flag."))


def _list_url(group_id: UUID | None = None) -> str:
    url = reverse("portal:flag_list")
    return f"{url}#group-{group_id}" if group_id else url


def _list_context(
    groups: Sequence[FlagGroup],
    group_form: FlagGroupForm | None = None,
    *,
    notice: str = "",
    focus_group: UUID | None = None,
) -> dict[str, Any]:
    cards = []
    for group in groups:
        form = new_flag_form(group)
        if group.id == focus_group:
            form.fields["name"].widget.attrs["autofocus"] = True
        cards.append(GroupCard(group=group, form=form))
    return {
        **_TAB,
        "cards": cards,
        "group_form": group_form or FlagGroupForm(auto_id="id_new_group_%s"),
        "notice": notice,
    }


@require_safe
@admin_required
def flag_list(request: AuthedRequest) -> HttpResponse:
    """Every flag group as a card with its flags and an add-a-flag form."""
    return render(request, _LIST, _list_context(_dictionary(request)))


@require_http_methods(["GET", "POST"])
@admin_required
def flag_group_create(request: AuthedRequest) -> HttpResponse:
    form = FlagGroupForm(request.POST if request.method == "POST" else None, auto_id="id_new_group_%s")
    if form.is_bound and form.is_valid():
        try:
            created = get_api().create_flag_group(actor=request.user, name=form.cleaned_data["name"])
        except InvalidInput as error:
            show_errors(form, error)
        else:
            notice = _("Flag group “%(name)s” was added. Now add its flags.") % {"name": created.name}
            if _from_htmx(request):
                context = _list_context(_dictionary(request), notice=notice, focus_group=created.id)
                return render_page(request, _LIST, context, fragment="dictionary")
            messages.success(request, notice)
            return redirect(_list_url(created.id))
    if _from_htmx(request) and form.is_bound:
        return render_page(request, _LIST, _list_context(_dictionary(request), form), fragment="dictionary")
    return render(request, "portal/flags/group_form.html", {**_TAB, "form": form})


@require_http_methods(["GET", "POST"])
@admin_required
def flag_group_rename(request: AuthedRequest, group_id: UUID) -> HttpResponse:
    group = _group(_dictionary(request), group_id)
    form = FlagGroupForm(request.POST if request.method == "POST" else None, initial={"name": group.name})
    if form.is_bound and form.is_valid():
        try:
            get_api().rename_flag_group(actor=request.user, group_id=group_id, name=form.cleaned_data["name"])
        except InvalidInput as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(_list_url(group_id))
    return render(request, "portal/flags/group_form.html", {**_TAB, "form": form, "subject": group})


@require_http_methods(["GET", "POST"])
@admin_required
def flag_group_delete(request: AuthedRequest, group_id: UUID) -> HttpResponse:
    """GET asks to confirm (orders lose the group's flags); POST deletes."""
    group = _group(_dictionary(request), group_id)
    if request.method == "POST":
        get_api().delete_flag_group(actor=request.user, group_id=group_id)
        messages.success(request, _("Flag group “%(name)s” was deleted.") % {"name": group.name})
        return redirect("portal:flag_list")
    return render(request, "portal/flags/group_delete.html", {**_TAB, "subject": group})


@require_http_methods(["GET", "POST"])
@admin_required
def flag_create(request: AuthedRequest, group_id: UUID) -> HttpResponse:
    """Add a flag to a group. htmx gets the group's card back (with errors, or refreshed)."""
    group = _group(_dictionary(request), group_id)
    form = new_flag_form(group, request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            created = get_api().create_flag(actor=request.user, group_id=group_id, draft=form.draft())
        except InvalidInput as error:
            show_errors(form, error)
        else:
            notice = _("Flag “%(name)s” was added.") % {"name": created.name}
            if _from_htmx(request):
                group = _group(_dictionary(request), group_id)
                fresh = new_flag_form(group)
                fresh.fields["name"].widget.attrs["autofocus"] = True
                card = GroupCard(group=group, form=fresh, notice=notice)
                return render_page(request, _LIST, {**_TAB, "card": card}, fragment="group_card")
            messages.success(request, notice)
            return redirect(_list_url(group_id))
    if _from_htmx(request) and form.is_bound:
        card = GroupCard(group=group, form=form)
        return render_page(request, _LIST, {**_TAB, "card": card}, fragment="group_card")
    return render(request, "portal/flags/flag_form.html", {**_TAB, "form": form, "group": group})


@require_http_methods(["GET", "POST"])
@admin_required
def flag_edit(request: AuthedRequest, flag_id: UUID) -> HttpResponse:
    group, flag = _flag(_dictionary(request), flag_id)
    form = FlagForm(request.POST if request.method == "POST" else None, initial=FlagForm.initial_for(flag))
    if form.is_bound and form.is_valid():
        try:
            get_api().update_flag(actor=request.user, flag_id=flag_id, draft=form.draft())
        except InvalidInput as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(_list_url(group.id))
    context = {**_TAB, "form": form, "group": group, "subject": flag}
    return render(request, "portal/flags/flag_form.html", context)


@require_http_methods(["GET", "POST"])
@admin_required
def flag_delete(request: AuthedRequest, flag_id: UUID) -> HttpResponse:
    """GET asks to confirm (orders carrying the flag lose it); POST deletes."""
    group, flag = _flag(_dictionary(request), flag_id)
    if request.method == "POST":
        get_api().delete_flag(actor=request.user, flag_id=flag_id)
        messages.success(request, _("Flag “%(name)s” was deleted.") % {"name": flag.name})
        return redirect(_list_url(group.id))
    return render(request, "portal/flags/flag_delete.html", {**_TAB, "group": group, "subject": flag})
