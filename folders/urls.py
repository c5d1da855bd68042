"""Folder pages: the tree, one folder, create/rename/move/delete, filing orders, sharing."""

from __future__ import annotations

from django.urls import path

from folders.views import browse, filing, manage, pickers, sharing

app_name = "folders"

urlpatterns = [
    path("", browse.folder_home, name="tree"),
    path("new/", manage.folder_create, name="create"),
    path("options/", pickers.folder_options, name="options"),
    path("add-orders/", filing.bulk_add_orders, name="bulk_add_orders"),
    path("file/<uuid:order_id>/", filing.file_order, name="file_order"),
    path("<uuid:folder_id>/", browse.folder_detail, name="detail"),
    path("<uuid:folder_id>/children/", browse.folder_children, name="children"),
    path("<uuid:folder_id>/edit/", manage.folder_edit, name="edit"),
    path("<uuid:folder_id>/move/", manage.folder_move, name="move"),
    path("<uuid:folder_id>/delete/", manage.folder_delete, name="delete"),
    path("<uuid:folder_id>/remove-orders/", filing.remove_orders, name="remove_orders"),
    path("<uuid:folder_id>/share/", sharing.folder_share, name="share"),
    path("<uuid:folder_id>/shares/<uuid:share_id>/revoke/", sharing.share_revoke, name="revoke_share"),
]
