"""What the staging adds to an upload's report, which the backend cannot know: the files
still being sent (registered, not whole yet) while the batch is open, and that a batch left
unfinished was closed by the cleaner (``cleanup``), with how many files it removed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.staging.models import StagedBatch, StagedFile
from portal.staging.receive import file_state
from postdicom.types import UploadBatchInfo, UploadFileState, UploadState

#: Files still being sent listed by name (the report refreshes itself every second or two);
#: the others are counted.
SENDING_LIMIT = 100


@dataclass(frozen=True)
class StagedReport:
    sending: tuple[UploadFileState, ...] = ()  # by name, at most ``SENDING_LIMIT``
    sending_total: int = 0
    cleared_at: dt.datetime | None = None
    cleared_files: int = 0

    @property
    def sending_more(self) -> int:
        """Files still being sent that are not listed."""
        return self.sending_total - len(self.sending)


def staged_report(batch: UploadBatchInfo) -> StagedReport:
    """The staging's part of ``batch``'s report (nothing for a batch it never had)."""
    staged = StagedBatch.objects.filter(batch_id=batch.id).only("finished", "cleared_at", "cleared_files").first()
    if staged is None:
        return StagedReport()
    if staged.cleared_at is not None:
        return StagedReport(cleared_at=staged.cleared_at, cleared_files=staged.cleared_files)
    if staged.finished or batch.state is not UploadState.OPEN:
        return StagedReport()
    rows = StagedFile.objects.filter(batch_id=batch.id, handed=False)
    listed = list(rows.order_by("name", "id")[:SENDING_LIMIT])
    total = len(listed) if len(listed) < SENDING_LIMIT else rows.count()
    return StagedReport(sending=tuple(file_state(row) for row in listed), sending_total=total)
