"""Administration URLs: audit (included under the ``portal`` namespace)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
