"""Sharing with outside people: the share dialog, "My shares", and the public link."""

from __future__ import annotations

from django.urls import path

from sharing.views import mine, public

app_name = "sharing"

urlpatterns = [
    path("shares/", mine.my_shares, name="mine"),
    path("s/<str:token>/", public.public_share, name="public"),
]
