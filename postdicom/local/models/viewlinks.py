"""Short-lived links to the viewer, bound to the IP address they were made for."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ViewLinkRecord(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # SHA-256 (hex) of the token, looked up by the unique index: the token has 256 random
    # bits, so a slow password hash adds nothing (as for API keys, docs/decisions.md).
    token_hash = models.CharField(max_length=64, unique=True)
    maker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="view_links")
    kind = models.CharField(max_length=10)  # postdicom.types.ViewLinkKind
    label = models.CharField(max_length=250)
    # An order or patient link: the public ids of its orders, fixed when it was made.
    order_ids = models.JSONField(default=list, blank=True)
    # A folder link: its orders are those the maker sees in it when the link is opened.
    folder = models.ForeignKey(
        "postdicom.Folder", null=True, blank=True, on_delete=models.SET_NULL, related_name="view_links"
    )
    client_ip = models.GenericIPAddressField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["maker", "-expires_at"], name="viewlink_maker_idx")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.label}"
