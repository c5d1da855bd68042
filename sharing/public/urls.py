"""The public pages of a share link, under ``s/<token>/`` (``portal.urls``)."""

from __future__ import annotations

from django.urls import path

from sharing.public import pages, uploads

app_name = "share"

_BATCH = "upload/batches/<uuid:batch_id>/"

urlpatterns = [
    path("", pages.share_open, name="open"),
    path("unlock/", pages.share_unlock, name="unlock"),
    path("download/", pages.share_download, name="download"),
    path("orders/<uuid:order_id>/", pages.share_order, name="order"),
    path("orders/<uuid:order_id>/view/", pages.share_viewer, name="viewer"),
    path("orders/<uuid:order_id>/download/", pages.share_order_download, name="order_download"),
    path("orders/<uuid:order_id>/documents/<uuid:document_id>/", pages.share_document, name="document"),
    path("upload/preview/", uploads.upload_preview, name="upload_preview"),
    path("upload/batches/", uploads.upload_start, name="upload_start"),
    path(_BATCH, uploads.upload_batch, name="upload_batch"),
    path(f"{_BATCH}state/", uploads.upload_state, name="upload_state"),
    path(f"{_BATCH}files/", uploads.upload_register, name="upload_register"),
    path(f"{_BATCH}files/<uuid:file_id>/", uploads.upload_chunk, name="upload_chunk"),
    path(f"{_BATCH}parts/", uploads.upload_parts, name="upload_parts"),
    path(f"{_BATCH}finish/", uploads.upload_finish, name="upload_finish"),
]
