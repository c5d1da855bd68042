"""What the staging remembers of a batch and of each file registered in it.

The bytes received of a file are not a column: they are the size of its file on disk
(``disk``), written under the file's lock, so a request that writes needs no update of its own.
A file handed to the backend has ``handed`` set and no file here any more. Likewise a batch's
last activity is the later of ``active_at`` (files registered) and its files' modification
times (bytes written): ``cleanup`` reads both.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class StagedBatch(models.Model):
    """A backend batch (``start_upload``'s id) that takes files through the staging."""

    batch_id = models.UUIDField(primary_key=True)
    # Who may write into it without asking the backend (the user who started it; another
    # user, an administrator, is let in when the backend shows them the batch).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    finished = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # When files were last registered (a browser starting or resuming it).
    active_at = models.DateTimeField(default=timezone.now)
    # Set when ``cleanup`` closed it, left open and idle; with the files it removed unfinished.
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_files = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.batch_id)


class StagedFile(models.Model):
    """A file of a staged batch, known by its (cleaned) name, size and modification time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    batch = models.ForeignKey(StagedBatch, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=1024)
    size = models.BigIntegerField()
    last_modified = models.BigIntegerField(default=0)  # ms since the epoch, as the browser says
    handed = models.BooleanField(default=False)  # whole and given to the backend

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "name", "size", "last_modified"], name="staged_file_unique")
        ]

    def __str__(self) -> str:
        return self.name
