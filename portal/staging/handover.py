"""Handing whole staged files to the backend (``add_upload_files``)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from portal.staging.disk import Locked
from portal.staging.models import StagedFile
from postdicom import get_api
from postdicom.types import UploadFile

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def hand_over(actor: User, batch_id: UUID, whole: list[tuple[StagedFile, Locked]]) -> None:
    """One ``add_upload_files`` for all of ``whole`` (locked by the caller; unlocked here).

    The backend moves the files it takes, so a file no longer on disk was taken, whatever the
    call raised: an ``Unavailable`` after taking them (its workers could not be told) leaves
    them taken (the backend's sweep queues them), and they are marked so here before the
    error goes on, so the browser, sending again, learns they are whole."""
    if not whole:
        return
    files = [UploadFile(name=row.name, path=str(lock.path), size=row.size) for row, lock in whole]
    try:
        get_api().add_upload_files(actor=actor, batch_id=batch_id, files=files)
    finally:
        taken = [row for row, lock in whole if not lock.path.exists()]
        if taken:
            StagedFile.objects.filter(pk__in=[row.pk for row in taken]).update(handed=True)
            for row in taken:
                row.handed = True
        for _row, lock in whole:
            lock.close()
