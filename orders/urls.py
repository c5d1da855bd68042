"""Order pages: list and search, create, detail, actions, bulk actions, recycle bin."""

from __future__ import annotations

from django.urls import path

from orders.views import (
    bulk,
    create,
    detail,
    documents,
    download,
    edit,
    links,
    listing,
    manage,
    thumbnail,
    upload,
    upload_api,
    viewer,
)

app_name = "orders"

urlpatterns = [
    path("", listing.order_list, name="list"),
    path("new/", create.order_create, name="create"),
    path("recycle-bin/", listing.recycle_bin, name="recycle_bin"),
    path("bulk/flag/", bulk.bulk_flag, name="bulk_flag"),
    path("bulk/assign/", bulk.bulk_assign, name="bulk_assign"),
    path("bulk/link/", bulk.bulk_link, name="bulk_link"),
    path("bulk/add-to-link/", bulk.bulk_add_to_link, name="bulk_add_to_link"),
    path("bulk/delete/", bulk.bulk_delete, name="bulk_delete"),
    path("bulk/download/", download.bulk_download, name="bulk_download"),
    path("upload/", upload.upload_page, name="upload"),
    path("upload/preview/", upload_api.upload_preview, name="upload_preview"),
    path("upload/batches/", upload_api.upload_start, name="upload_start"),
    path("upload/batches/<uuid:batch_id>/", upload.upload_batch, name="upload_batch"),
    path("upload/batches/<uuid:batch_id>/state/", upload_api.upload_state, name="upload_state"),
    path("upload/batches/<uuid:batch_id>/files/", upload_api.upload_register, name="upload_register"),
    path("upload/batches/<uuid:batch_id>/files/<uuid:file_id>/", upload_api.upload_chunk, name="upload_chunk"),
    path("upload/batches/<uuid:batch_id>/parts/", upload_api.upload_parts, name="upload_parts"),
    path("upload/batches/<uuid:batch_id>/finish/", upload_api.upload_finish, name="upload_finish"),
    path("<uuid:order_id>/", detail.order_detail, name="detail"),
    path("<uuid:order_id>/edit/", edit.order_edit, name="edit"),
    path("<uuid:order_id>/download/", download.order_download, name="download"),
    path("<uuid:order_id>/thumbnail/", thumbnail.order_thumbnail, name="thumbnail"),
    path("<uuid:order_id>/view/", viewer.view, name="viewer"),
    path("<uuid:order_id>/documents/", documents.document_upload, name="document_upload"),
    path("<uuid:order_id>/documents/<uuid:document_id>/", documents.document_download, name="document_download"),
    path("<uuid:order_id>/documents/<uuid:document_id>/view/", documents.document_view, name="document_view"),
    path("<uuid:order_id>/documents/<uuid:document_id>/pdf/", documents.document_pdf, name="document_pdf"),
    path("<uuid:order_id>/documents/<uuid:document_id>/delete/", documents.document_delete, name="document_delete"),
    path("<uuid:order_id>/delete/", manage.order_delete, name="delete"),
    path("<uuid:order_id>/restore/", manage.order_restore, name="restore"),
    path("<uuid:order_id>/purge/", manage.order_purge, name="purge"),
    path("<uuid:order_id>/flag/", manage.order_flag, name="flag"),
    path("<uuid:order_id>/assign/", manage.order_assign, name="assign"),
    path("<uuid:order_id>/unassign/", manage.order_unassign, name="unassign"),
    path("<uuid:order_id>/move/", manage.order_move, name="move"),
    path("<uuid:order_id>/unlink/", manage.order_unlink, name="unlink"),
    path("<uuid:order_id>/link/", links.order_link, name="link"),
]
