"""Folders shared with account users and user groups (PostDICOM's ShareFolderWithAccountUser
and ShareFolderWithAccountUserGroup).

A share gives its recipient (exactly one user or one group) access to the folder and every
folder below it: view always, ``may_edit`` to file/unfile orders and create/rename
sub-folders, ``may_reshare`` to share it further (never with more rights than the sharer has).
``includes_restricted_orders`` is the explicit permission for recipients to see, through this
folder, orders the normal visibility rule would hide from them (limited users).

Shares are never deleted by the service: revoking stamps ``revoked_at``, so the history stays.
An active share is one with ``revoked_at`` empty and ``expires`` empty or not yet past
(``expires`` is the last day it works).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from postdicom.local.models.accounts import UserGroup
from postdicom.local.models.folders import Folder


class FolderShare(models.Model):
    """One folder shared with one user or one user group."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    folder = models.ForeignKey(Folder, on_delete=models.CASCADE, related_name="shares")
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The share the sharer held when re-sharing (None when the owner shared): revoking a share
    # also revokes what was re-shared through it.
    source = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reshares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="folder_shares_received",
    )
    group = models.ForeignKey(UserGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="folder_shares")
    may_edit = models.BooleanField(default=False)
    may_reshare = models.BooleanField(default=False)
    includes_restricted_orders = models.BooleanField(default=False)
    expires = models.DateField(null=True, blank=True)  # the last day the share works
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(user__isnull=False, group__isnull=True))
                | (models.Q(user__isnull=True, group__isnull=False)),
                name="folder_share_one_recipient",
            ),
            # One active share per folder and recipient: sharing again updates it.
            models.UniqueConstraint(
                fields=["folder", "user"],
                condition=models.Q(revoked_at__isnull=True, user__isnull=False),
                name="folder_share_unique_user",
            ),
            models.UniqueConstraint(
                fields=["folder", "group"],
                condition=models.Q(revoked_at__isnull=True, group__isnull=False),
                name="folder_share_unique_group",
            ),
        ]

    def __str__(self) -> str:
        recipient = f"user {self.user_id}" if self.user_id else f"group {self.group_id}"
        return f"folder {self.folder_id} shared with {recipient}"
