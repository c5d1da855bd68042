"""Administration URLs: flags (included under the ``portal`` namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from portal.views import flags

urlpatterns: list[URLPattern] = [
    path("", flags.flag_list, name="flag_list"),
    path("groups/new/", flags.flag_group_create, name="flag_group_create"),
    path("groups/<uuid:group_id>/rename/", flags.flag_group_rename, name="flag_group_rename"),
    path("groups/<uuid:group_id>/delete/", flags.flag_group_delete, name="flag_group_delete"),
    path("groups/<uuid:group_id>/flags/new/", flags.flag_create, name="flag_create"),
    path("<uuid:flag_id>/edit/", flags.flag_edit, name="flag_edit"),
    path("<uuid:flag_id>/delete/", flags.flag_delete, name="flag_delete"),
]
