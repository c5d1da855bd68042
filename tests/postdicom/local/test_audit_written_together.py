"""``audit.written_together``: the events of one piece of work written in one INSERT at its
end, in its transaction; none when it fails."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from postdicom.local import audit
from postdicom.local.models import AuditRecord
from postdicom.types import AuditAction

pytestmark = pytest.mark.django_db


def test_events_are_written_once_the_block_ends_in_one_statement(staff_user):
    with CaptureQueriesContext(connection) as queries, audit.written_together():
        for n in range(3):
            audit.record(staff_user, AuditAction.UPLOAD_STARTED, target_type="upload", target_id=f"u{n}", n=n)
        assert not AuditRecord.objects.filter(target_type="upload").exists()  # held back
        audit.flush()  # a reader inside the block writes them first
        assert AuditRecord.objects.filter(target_type="upload").count() == 3
        audit.record(staff_user, AuditAction.UPLOAD_FINISHED, target_type="upload", target_id="u9")
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "postdicom_auditrecord"')]
    assert len(inserts) == 2  # the three at the flush, the last one at the end
    events = list(AuditRecord.objects.filter(target_type="upload").order_by("id"))
    assert [e.target_id for e in events] == ["u0", "u1", "u2", "u9"]
    assert events[0].actor == staff_user
    assert events[0].detail == {"n": 0}
    assert events[0].at is not None


def test_a_failed_block_writes_nothing_and_the_next_record_is_written_at_once(staff_user):
    def work() -> None:
        with transaction.atomic(), audit.written_together():
            audit.record(staff_user, AuditAction.UPLOAD_STARTED, target_type="upload", target_id="lost")
            raise RuntimeError("the work failed")

    with pytest.raises(RuntimeError):
        work()
    assert not AuditRecord.objects.filter(target_id="lost").exists()
    audit.record(staff_user, AuditAction.UPLOAD_STARTED, target_type="upload", target_id="now")
    assert AuditRecord.objects.filter(target_id="now").exists()
