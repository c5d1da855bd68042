"""Administration pages: users, user groups and membership, institutions, DICOM nodes,
flags and the audit log. Administrators only."""

from __future__ import annotations

from django.urls import path

from portal.views import admin_home, users

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
]
