"""Administration pages: users, user groups and membership, institutions, DICOM nodes,
flags, API keys and the audit log. Administrators only. Each topic keeps its URLs in
``portal/urls_admin/<topic>.py``; all share the ``portal`` namespace."""

from __future__ import annotations

from django.urls import include, path

from portal.views import admin_home, memberships, users

app_name = "portal"

urlpatterns = [
    path("", admin_home.admin_home, name="admin_home"),
    path("users/", users.user_list, name="user_list"),
    path("users/new/", users.user_create, name="user_create"),
    path("users/<uuid:user_id>/", users.user_detail, name="user_detail"),
    path("users/<uuid:user_id>/edit/", users.user_edit, name="user_edit"),
    path("users/<uuid:user_id>/password/", users.user_password, name="user_password"),
    path("users/<uuid:user_id>/activate/", users.user_activate, name="user_activate"),
    path("users/<uuid:user_id>/deactivate/", users.user_deactivate, name="user_deactivate"),
    path("users/<uuid:user_id>/groups/add/", memberships.user_group_add, name="user_group_add"),
    path(
        "users/<uuid:user_id>/groups/<uuid:group_id>/remove/",
        memberships.user_group_remove,
        name="user_group_remove",
    ),
    path("groups/", include("portal.urls_admin.groups")),
    path("institutions/", include("portal.urls_admin.institutions")),
    path("nodes/", include("portal.urls_admin.nodes")),
    path("flags/", include("portal.urls_admin.flags")),
    path("api-keys/", include("portal.urls_admin.api_keys")),
    path("audit/", include("portal.urls_admin.audit")),
]
