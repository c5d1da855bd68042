"""Folders: each user's private tree, and the orders filed in each folder.

A folder stores its ancestors as a materialized ``path`` of primary keys ("/" for a top-level
folder, "/4/17/" for a folder whose parent is 17, itself inside 4). Descendant checks are
then a string prefix test and a whole subtree one ``LIKE 'prefix%'`` query, without walking
the tree. ``parent`` stays the source of truth for the shape; ``path`` is kept in step by
``postdicom.local.folders`` (create and move), never edited by hand.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from postdicom.local.models.orders import PatientOrder


class Folder(models.Model):
    """A folder of one user's private tree. Names are unique among siblings, ignoring case."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="folders")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    path = models.CharField(max_length=1000, default="/", editable=False)  # "/<ancestor pk>/…/"
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "parent", Lower("name"), condition=models.Q(parent__isnull=False), name="folder_name_unique_in_parent"
            ),
            models.UniqueConstraint(
                "owner", Lower("name"), condition=models.Q(parent__isnull=True), name="folder_name_unique_at_root"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def subtree_prefix(self) -> str:
        """The ``path`` prefix every descendant's path starts with."""
        return f"{self.path}{self.pk}/"

    @property
    def depth(self) -> int:
        """0 for a top-level folder."""
        return self.path.count("/") - 1


class FolderOrder(models.Model):
    """An order filed in a folder. An order can be in many folders; removing it from a folder
    (or deleting the folder) never deletes the order."""

    # Indexed by folder_order_unique (folder, order) and folder_order_by_order_idx (order,
    # folder), not by the default one-column indexes: both are index-only for the counts.
    folder = models.ForeignKey(Folder, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    order = models.ForeignKey(PatientOrder, on_delete=models.CASCADE, related_name="folder_memberships", db_index=False)
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["folder", "order"], name="folder_order_unique")]
        # The folder counts join the filed orders to the live orders in order id order (a
        # merge join of two index-only scans): see postdicom.local.folders.tree.
        indexes = [models.Index(fields=["order", "folder"], name="folder_order_by_order_idx")]

    def __str__(self) -> str:
        return f"{self.order_id} in folder {self.folder_id}"
