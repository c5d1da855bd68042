"""Administration URLs: groups (included under the ``portal`` namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from portal.views import groups, memberships

urlpatterns: list[URLPattern] = [
    path("", groups.group_list, name="group_list"),
    path("new/", groups.group_create, name="group_create"),
    path("<uuid:group_id>/", groups.group_detail, name="group_detail"),
    path("<uuid:group_id>/edit/", groups.group_edit, name="group_edit"),
    path("<uuid:group_id>/delete/", groups.group_delete, name="group_delete"),
    path("<uuid:group_id>/candidates/", groups.group_candidates, name="group_candidates"),
    path("<uuid:group_id>/members/add/", memberships.group_members_add, name="group_members_add"),
    path(
        "<uuid:group_id>/members/<uuid:user_id>/remove/",
        memberships.group_member_remove,
        name="group_member_remove",
    ),
]
