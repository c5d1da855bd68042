"""Uploads a browser left open and never resumed, cleared after ``RAYPORT_STAGING_IDLE_DAYS``.

A batch is abandoned when nothing happened in it for that long: no file registered
(``StagedBatch.active_at``) and no byte written (its files' modification times). The cleaner
(beat's hourly ``clear-abandoned-uploads``) takes the batch's lock alone and without waiting,
so a batch a request is writing into right now is not touched, and looks again under the lock.
Then it does what finishing would have done with what arrived: the files that are whole go to
the backend, and the batch is closed there (``finish_upload``, acting as the user who started
it), so that its report is final. The files that had not arrived completely, the rows and the
folder are removed; the batch's row stays, with ``cleared_at`` and how many files were removed,
for its report (``portal.staging.report``). A request that waited for the lock finds the batch
closed, and the browser is told so.
"""

from __future__ import annotations

import datetime as dt
import logging
from uuid import UUID

from django.conf import settings
from django.utils import timezone

from portal.staging import disk, receive
from portal.staging.models import StagedBatch, StagedFile
from postdicom import filelocks, get_api
from postdicom.errors import PostDicomError, Unavailable

log = logging.getLogger(__name__)


def clear_abandoned(now: dt.datetime | None = None) -> list[UUID]:
    """Clear every batch idle for ``RAYPORT_STAGING_IDLE_DAYS`` at ``now``; the ones cleared."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.RAYPORT_STAGING_IDLE_DAYS)
    idle = StagedBatch.objects.filter(finished=False, active_at__lt=cutoff).select_related("user")
    return [staged.batch_id for staged in idle.order_by("active_at") if clear(staged, cutoff, now)]


def clear(staged: StagedBatch, cutoff: dt.datetime, now: dt.datetime) -> bool:
    """Clear the batch if nothing happened in it since ``cutoff``; whether it was."""
    # A batch taken on here may have no folder yet: it is locked like any other.
    disk.batch_dir(staged.batch_id).mkdir(parents=True, exist_ok=True)
    with filelocks.held(disk.batch_lock(staged.batch_id)) as alone:
        if not alone:  # a request is in the batch: not abandoned
            return False
        staged.refresh_from_db(fields=["finished", "active_at"])
        written = disk.last_written(staged.batch_id)
        if staged.finished or staged.active_at >= cutoff or (written is not None and written >= cutoff.timestamp()):
            return False
        try:
            removed = receive.hand_over_whole(staged.user, staged)
            get_api().finish_upload(actor=staged.user, batch_id=staged.batch_id)
        except Unavailable as error:
            log.warning("Abandoned upload %s left for the next run: %s", staged.batch_id, error.message)
            return False
        except PostDicomError as error:
            # The user who started it can no longer act (deactivated), or the backend lost the
            # batch: nobody can finish it, so it is closed here only.
            log.warning("Abandoned upload %s closed here only: %s", staged.batch_id, error.message)
            removed = StagedFile.objects.filter(batch=staged, handed=False).count()
        receive.close(staged, cleared_at=now, cleared_files=removed)
    log.info("Cleared abandoned upload %s (%d unfinished files removed).", staged.batch_id, removed)
    return True
