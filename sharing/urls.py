"""Sharing with outside people: the share dialog and "My shares" (the public link's pages:
``sharing.public.urls``)."""

from __future__ import annotations

from django.urls import path

from sharing.views import dialog, mine

app_name = "sharing"

urlpatterns = [
    path("shares/", mine.my_shares, name="mine"),
    path("shares/orders/", dialog.share_orders, name="share_orders"),
    path("shares/folder/<uuid:folder_id>/", dialog.share_folder, name="share_folder"),
    path("shares/<uuid:share_id>/", mine.share_detail, name="detail"),
    path("shares/<uuid:share_id>/change/", mine.share_change, name="change"),
    path("shares/<uuid:share_id>/revoke/", mine.share_revoke, name="revoke"),
    path("shares/<uuid:share_id>/resend/", mine.share_resend, name="resend"),
]
