"""Administration URLs: nodes (included under the ``portal`` namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from portal.views import nodes

urlpatterns: list[URLPattern] = [
    path("", nodes.node_list, name="node_list"),
    path("new/", nodes.node_create, name="node_create"),
    path("<uuid:node_id>/edit/", nodes.node_edit, name="node_edit"),
    path("<uuid:node_id>/delete/", nodes.node_delete, name="node_delete"),
]
