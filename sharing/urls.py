"""Sharing with outside people: the share dialog and "My shares" (the public link's pages:
``sharing.public.urls``)."""

from __future__ import annotations

from django.urls import path

from sharing.views import mine

app_name = "sharing"

urlpatterns = [
    path("shares/", mine.my_shares, name="mine"),
]
