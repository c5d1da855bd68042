"""Administration URLs: institutions (included under the ``portal`` namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from portal.views import institutions

urlpatterns: list[URLPattern] = [
    path("", institutions.institution_list, name="institution_list"),
    path("new/", institutions.institution_create, name="institution_create"),
    path("<uuid:institution_id>/edit/", institutions.institution_edit, name="institution_edit"),
]
