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

    # Indexed by folder_order_unique (folder, order), folder_order_by_order_idx (order,
    # folder) and folder_order_by_owner_idx (owner, order, folder), not by the default
    # one-column indexes: each is index-only for the queries that use it.
    folder = models.ForeignKey(Folder, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    order = models.ForeignKey(PatientOrder, on_delete=models.CASCADE, related_name="folder_memberships", db_index=False)
    # The folder's owner, set when the order is filed (``postdicom.local.folders.membership``).
    # A folder never changes owner (moves stay inside its owner's tree), so this never needs
    # updating. It lets the counts of a whole tree read one user's filings in order id order
    # from one index, with no join to the folders and no sort (postdicom.local.folders.tree).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False, editable=False
    )
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["folder", "order"], name="folder_order_unique")]
        indexes = [
            # The folders holding an order, and a limited user's counts (from their few orders).
            models.Index(fields=["order", "folder"], name="folder_order_by_order_idx"),
            # A whole tree's counts: one user's filed orders in order id order, merged with the
            # live orders they may see (see postdicom.local.folders.tree).
            models.Index(fields=["owner", "order", "folder"], name="folder_order_by_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} in folder {self.folder_id}"
