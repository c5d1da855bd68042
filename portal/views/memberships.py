"""Who belongs to which group: adding and removing members from the group page and from
the user page. htmx gets the changed panel back with a short status line; without
JavaScript the same forms post, leave a message and redirect back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from portal.access import AuthedRequest, admin_required
from portal.forms.groups import AddMembersForm, JoinGroupForm, MemberSearchForm
from portal.rendering import render_page
from portal.views.groups import DETAIL_TEMPLATE, group_page_context
from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.types import UserGroupInfo, UserInfo

_LEVELS = {"success": messages.SUCCESS, "info": messages.INFO, "error": messages.ERROR}


@dataclass(frozen=True)
class Status:
    """What a membership change did, in one sentence; ``level`` is an alert class."""

    level: str
    text: str


def _error(form: forms.Form) -> Status:
    """The first problem of an invalid form, as a status line."""
    return Status("error", next(str(message) for errors in form.errors.values() for message in errors))


def _without_htmx(request: AuthedRequest, status: Status, url: str) -> HttpResponse:
    messages.add_message(request, _LEVELS[status.level], status.text)
    return redirect(url)


# --- On the group page ---------------------------------------------------------------------------


def _back_to_group(request: AuthedRequest, group_id: UUID, form: MemberSearchForm, status: Status) -> HttpResponse:
    """The group page as it was (same search, same member page), with ``status``: for htmx
    only its membership panel."""
    q, page = form.values()
    if not getattr(request, "htmx", False):
        params = {"q": q, "page": page if page > 1 else ""}
        query = urlencode({k: v for k, v in params.items() if v})
        url = reverse("portal:group_detail", kwargs={"group_id": group_id})
        return _without_htmx(request, status, f"{url}?{query}" if query else url)
    group = get_api().get_user_group(actor=request.user, group_id=group_id)  # the new member count
    context = {**group_page_context(request.user, group, q=q, page=page), "status": status}
    return render_page(request, DETAIL_TEMPLATE, context, fragment="membership")


def _added(actor: User, group: UserGroupInfo, wanted: list[UUID], added: int) -> Status:
    if len(wanted) == 1:
        name = get_api().get_user(actor=actor, user_id=wanted[0]).full_name
        if added:
            return Status("success", _("%(name)s added to %(group)s.") % {"name": name, "group": group.name})
        return Status("info", _("%(name)s is already a member.") % {"name": name})
    if not added:
        return Status("info", _("They are all members already."))
    if added < len(wanted):
        text = ngettext(
            "%(count)d person added; the others were already members.",
            "%(count)d people added; the others were already members.",
            added,
        )
        return Status("success", text % {"count": added})
    text = ngettext("%(count)d person added to %(group)s.", "%(count)d people added to %(group)s.", added)
    return Status("success", text % {"count": added, "group": group.name})


@require_POST
@admin_required
def group_members_add(request: AuthedRequest, group_id: UUID) -> HttpResponse:
    """Add the posted ``user_ids`` (one "Add" button, or the ticked boxes)."""
    api = get_api()
    group = api.get_user_group(actor=request.user, group_id=group_id)
    form = AddMembersForm(request.POST)
    if form.is_valid():
        wanted = form.cleaned_data["user_ids"]
        try:
            added = api.add_group_members(actor=request.user, group_id=group_id, user_ids=wanted)
        except InvalidInput as error:
            status = Status("error", error.message)
        else:
            status = _added(request.user, group, wanted, added)
    else:
        status = _error(form)
    return _back_to_group(request, group_id, form, status)


@require_POST
@admin_required
def group_member_remove(request: AuthedRequest, group_id: UUID, user_id: UUID) -> HttpResponse:
    api = get_api()
    group = api.get_user_group(actor=request.user, group_id=group_id)
    try:
        removed = api.remove_group_members(actor=request.user, group_id=group_id, user_ids=[user_id])
    except InvalidInput as error:
        status = Status("error", error.message)
    else:
        name = api.get_user(actor=request.user, user_id=user_id).full_name
        values = {"name": name, "group": group.name}
        if removed:
            status = Status("success", _("%(name)s removed from %(group)s.") % values)
        else:
            status = Status("info", _("%(name)s was not a member of %(group)s.") % values)
    return _back_to_group(request, group_id, MemberSearchForm(request.POST), status)


# --- On the user page ----------------------------------------------------------------------------


def user_groups_context(actor: User, user_id: UUID) -> dict[str, Any]:
    """The user page's group panel: the user's groups and a choice of the others."""
    api = get_api()
    groups = api.groups_of_user(actor=actor, user_id=user_id)
    all_groups = api.list_user_groups(actor=actor)
    joined = {g.id for g in groups}
    others = [g for g in all_groups if g.id not in joined]
    return {
        "groups": groups,
        "all_groups": all_groups,
        "other_groups": others,
        "join_form": JoinGroupForm(groups=others),
    }


def _back_to_user(request: AuthedRequest, subject: UserInfo, status: Status) -> HttpResponse:
    """The user page with ``status``: for htmx only its group panel."""
    if not getattr(request, "htmx", False):
        return _without_htmx(request, status, reverse("portal:user_detail", kwargs={"user_id": subject.id}))
    context = {"subject": subject, **user_groups_context(request.user, subject.id), "status": status}
    return render_page(request, "portal/users/detail.html", context, fragment="user_groups")


@require_POST
@admin_required
def user_group_add(request: AuthedRequest, user_id: UUID) -> HttpResponse:
    """Put the user in the posted ``group_id``."""
    api = get_api()
    subject = api.get_user(actor=request.user, user_id=user_id)
    others = user_groups_context(request.user, user_id)["other_groups"]
    form = JoinGroupForm(request.POST, groups=others)
    if form.is_valid():
        group = next(g for g in others if g.id == form.cleaned_data["group_id"])
        try:
            api.add_group_members(actor=request.user, group_id=group.id, user_ids=[user_id])
        except InvalidInput as error:
            status = Status("error", error.message)
        else:
            values = {"name": subject.full_name, "group": group.name}
            status = Status("success", _("%(name)s added to %(group)s.") % values)
    else:
        status = _error(form)
    return _back_to_user(request, subject, status)


@require_POST
@admin_required
def user_group_remove(request: AuthedRequest, user_id: UUID, group_id: UUID) -> HttpResponse:
    api = get_api()
    subject = api.get_user(actor=request.user, user_id=user_id)
    group = api.get_user_group(actor=request.user, group_id=group_id)
    removed = api.remove_group_members(actor=request.user, group_id=group_id, user_ids=[user_id])
    values = {"name": subject.full_name, "group": group.name}
    if removed:
        status = Status("success", _("%(name)s removed from %(group)s.") % values)
    else:
        status = Status("info", _("%(name)s was not a member of %(group)s.") % values)
    return _back_to_user(request, subject, status)
