"""Keys that other software uses to call the portal's HTTP API as a given user."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ApiKeyRecord(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    prefix = models.CharField(max_length=12, unique=True)  # the secret's first characters, shown to tell keys apart
    # SHA-256 (hex) of the whole secret, looked up by the unique index: the secret has 256
    # random bits, so a slow password hash adds nothing (docs/decisions.md, "API keys").
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
