"""User group administration: list, create, edit, delete, and the group page with its
members and the search for people to add. Membership changes are in ``memberships``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from portal.access import AuthedRequest, admin_required
from portal.forms.groups import GroupFilterForm, GroupForm, MemberSearchForm
from portal.forms.service import show_errors
from portal.rendering import render_page
from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.types import Page, UserGroupInfo, UserInfo, UserQuery

T = TypeVar("T")

DETAIL_TEMPLATE = "portal/groups/detail.html"
MEMBERS_PER_PAGE = 50
# Without a search, everyone who could join is listed only up to this many; beyond it the
# page asks for a name (an account may have thousands of users).
BROWSE_LIMIT = 50
# A search lists this many matches and says how many more there are.
SEARCH_LIMIT = 20


@dataclass(frozen=True)
class Candidates:
    """People who could join the group, as the "Add members" panel shows them."""

    items: tuple[UserInfo, ...]
    total: int
    needs_search: bool  # too many to list without a search

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def find_candidates(actor: User, group_id: UUID, text: str) -> Candidates:
    """Active users matching ``text`` who are not members yet, never more than a page."""
    size = SEARCH_LIMIT if text else BROWSE_LIMIT
    query = UserQuery(text=text, not_in_group=group_id, include_inactive=False, page_size=size)
    found = get_api().list_users(actor=actor, query=query)
    if not text and found.total > BROWSE_LIMIT:
        return Candidates(items=(), total=found.total, needs_search=True)
    return Candidates(items=found.items, total=found.total, needs_search=False)


def page_of(items: Sequence[T], number: int, size: int) -> Page[T]:
    """Page ``number`` of ``items``; out-of-range numbers give the nearest page."""
    last = max(1, -(-len(items) // size))
    number = min(max(1, number), last)
    start = (number - 1) * size
    return Page(items=tuple(items[start : start + size]), total=len(items), number=number, size=size)


def group_page_context(actor: User, group: UserGroupInfo, *, q: str, page: int) -> dict[str, Any]:
    """Everything the group page shows: the group, a page of members, the candidates."""
    members = page_of(get_api().group_members(actor=actor, group_id=group.id), page, MEMBERS_PER_PAGE)
    return {
        "section": "admin",
        "tab": "groups",
        "group": group,
        "members": members,
        "page_number": members.number,  # posted back by membership changes
        "q": q,
        "candidates": find_candidates(actor, group.id, q),
    }


@require_safe
@admin_required
def group_list(request: AuthedRequest) -> HttpResponse:
    """Every group with its member count; htmx gets only the table as the search changes."""
    filters = GroupFilterForm(request.GET)
    q = (filters.cleaned_data.get("q") or "").strip() if filters.is_valid() else ""
    groups = get_api().list_user_groups(actor=request.user, text=q)
    context = {"section": "admin", "tab": "groups", "filters": filters, "q": q, "groups": groups}
    return render_page(request, "portal/groups/list.html", context, fragment="results")


@require_http_methods(["GET", "POST"])
@admin_required
def group_create(request: AuthedRequest) -> HttpResponse:
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = get_api().create_user_group(actor=request.user, **form.cleaned_data)
        except InvalidInput as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Group “%(name)s” created. Now add its members.") % {"name": group.name})
            return redirect("portal:group_detail", group_id=group.id)
    return render(request, "portal/groups/form.html", {"section": "admin", "tab": "groups", "form": form})


@require_http_methods(["GET", "POST"])
@admin_required
def group_edit(request: AuthedRequest, group_id: UUID) -> HttpResponse:
    api = get_api()
    group = api.get_user_group(actor=request.user, group_id=group_id)
    form = GroupForm(request.POST or None, initial=GroupForm.initial_for(group))
    if request.method == "POST" and form.is_valid():
        try:
            api.update_user_group(actor=request.user, group_id=group_id, **form.cleaned_data)
        except InvalidInput as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("portal:group_detail", group_id=group_id)
    context = {"section": "admin", "tab": "groups", "form": form, "group": group}
    return render(request, "portal/groups/form.html", context)


@require_http_methods(["GET", "POST"])
@admin_required
def group_delete(request: AuthedRequest, group_id: UUID) -> HttpResponse:
    """GET asks for confirmation; POST deletes. Members keep their accounts."""
    api = get_api()
    group = api.get_user_group(actor=request.user, group_id=group_id)
    if request.method == "POST":
        api.delete_user_group(actor=request.user, group_id=group_id)
        messages.success(request, _("Group “%(name)s” deleted. Its members were not changed.") % {"name": group.name})
        return redirect("portal:group_list")
    context = {"section": "admin", "tab": "groups", "group": group}
    return render(request, "portal/groups/delete.html", context)


@require_safe
@admin_required
def group_detail(request: AuthedRequest, group_id: UUID) -> HttpResponse:
    """The group, its members (htmx: the member list alone, when paging), and people to add
    (``q`` searches them when the page is used without JavaScript)."""
    group = get_api().get_user_group(actor=request.user, group_id=group_id)
    q, page = MemberSearchForm(request.GET).values()
    context = group_page_context(request.user, group, q=q, page=page)
    return render_page(request, DETAIL_TEMPLATE, context, fragment="members")


@require_safe
@admin_required
def group_candidates(request: AuthedRequest, group_id: UUID) -> HttpResponse:
    """People who could join, matching ``q``: the list alone for htmx as the admin types;
    the whole group page otherwise."""
    group = get_api().get_user_group(actor=request.user, group_id=group_id)
    q, page = MemberSearchForm(request.GET).values()
    if getattr(request, "htmx", False):
        context: dict[str, Any] = {"group": group, "q": q, "page_number": page}
        context["candidates"] = find_candidates(request.user, group_id, q)
    else:
        context = group_page_context(request.user, group, q=q, page=page)
    return render_page(request, DETAIL_TEMPLATE, context, fragment="candidates")
