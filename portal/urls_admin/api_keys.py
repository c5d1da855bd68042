"""Administration URLs: API keys (included under the ``portal`` namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from portal.views import api_keys

urlpatterns: list[URLPattern] = [
    path("", api_keys.api_key_list, name="api_key_list"),
    path("new/", api_keys.api_key_create, name="api_key_create"),
    path("<uuid:key_id>/revoke/", api_keys.api_key_revoke, name="api_key_revoke"),
]
