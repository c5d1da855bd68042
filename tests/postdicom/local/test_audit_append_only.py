"""Audit events are append-only in PostgreSQL itself (migration 0009's trigger), not only in
Django: raw SQL cannot change or delete them; only ``archive_audit``, run by a member of
``rayport_audit_archiver``, moves old ones to a file."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from postdicom.local.audit import record
from postdicom.local.models import AuditRecord
from postdicom.types import AuditAction
from tests.disk_order import disk_order
from tests.missing import missing

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql(db) -> None:
    """The trigger is PostgreSQL's (the suite runs on it; SQLite has none)."""
    if connection.vendor != "postgresql":
        missing("the append-only trigger tests need PostgreSQL (DATABASE_URL)")


#: A role like the application's: it may touch the table but is no archiver. Roles are
#: cluster-wide; this one lives only inside the test's transaction (CREATE ROLE is transactional).
APP_ROLE = "rayport_test_app_role"


def _event(day: str, label: str, actor=None) -> AuditRecord:
    at = timezone.make_aware(dt.datetime.fromisoformat(day))
    with mock.patch("django.utils.timezone.now", return_value=at):
        record(actor, AuditAction.ORDER_VIEWED, target_type="order", target_id="o", target_label=label)
    return AuditRecord.objects.order_by("-id")[0]


def _sql(statement: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: a refusal rolls back only this
        cursor.execute(statement, params)


@pytest.fixture
def app_role():
    """Act as a non-superuser role with every table privilege on the audit table."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON postdicom_auditrecord TO {APP_ROLE}")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
        cursor.execute(f"SET ROLE {APP_ROLE}")
    yield APP_ROLE
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def test_raw_sql_cannot_update_or_delete_events():
    row = _event("2025-01-01T10:00", "A")
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"):
        _sql("UPDATE postdicom_auditrecord SET target_label = 'changed' WHERE id = %s", [row.pk])
    with pytest.raises(DatabaseError, match="append-only: DELETE refused"):
        _sql("DELETE FROM postdicom_auditrecord WHERE id = %s", [row.pk])
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"):  # not even the actor alone
        _sql("UPDATE postdicom_auditrecord SET actor_name = 'someone' WHERE id = %s", [row.pk])
    assert AuditRecord.objects.get(pk=row.pk).target_label == "A"


def test_the_application_role_cannot_bypass_the_trigger_by_setting_the_flag(app_role):
    row = _event("2025-01-01T10:00", "A")
    _sql("SET LOCAL rayport.audit_archive = 'on'")
    with pytest.raises(DatabaseError, match="append-only: DELETE refused"):
        _sql("DELETE FROM postdicom_auditrecord WHERE id = %s", [row.pk])
    _sql("SET CONSTRAINTS ALL IMMEDIATE")  # the insert's foreign-key checks, else TRUNCATE waits on them
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"):
        _sql("TRUNCATE postdicom_auditrecord")
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"):
        _sql("UPDATE postdicom_auditrecord SET action = 'x' WHERE id = %s", [row.pk])
    assert AuditRecord.objects.filter(pk=row.pk).exists()


def test_deleting_a_user_keeps_their_events_with_their_name(staff_user):
    row = _event("2025-01-01T10:00", "A", actor=staff_user)
    get_user_model().objects.filter(pk=staff_user.pk).delete()  # ON DELETE SET NULL passes
    kept = AuditRecord.objects.get(pk=row.pk)
    assert (kept.actor_id, kept.actor_name) == (None, "sam")


def test_archive_moves_old_events_to_a_file_and_records_that_it_did(tmp_path):
    old = [_event("2024-03-01T10:00", "old-1"), _event("2024-12-31T23:59", "old-2")]
    recent = _event("2025-01-01T00:00", "recent")
    archive = tmp_path / "audit-2024.jsonl.gz"
    call_command("archive_audit", "--before", "2025-01-01", "--to", str(archive))
    with gzip.open(archive, "rt", encoding="utf-8") as packed:
        lines = [json.loads(line) for line in packed]
    assert [(line["id"], line["target_label"], line["action"]) for line in lines] == [
        (row.pk, row.target_label, "order.viewed") for row in old
    ]
    left = AuditRecord.objects.order_by("id")
    assert [r.pk for r in left][:1] == [recent.pk]
    archived = left.get(action=AuditAction.AUDIT_ARCHIVED)
    assert archived.detail["events"] == 2
    with pytest.raises(CommandError, match="already exists"):
        call_command("archive_audit", "--before", "2025-01-01", "--to", str(archive))


def test_the_archive_is_on_the_disk_before_the_events_are_deleted(tmp_path, monkeypatch):
    """The file's bytes and its name (its folder) are synced before the DELETE: a power cut
    after the commit cannot leave the events deleted and the archive gone."""
    _event("2024-03-01T10:00", "old")
    archive = tmp_path / "audit-2024.jsonl.gz"
    with disk_order(monkeypatch) as order:
        call_command("archive_audit", "--before", "2025-01-01", "--to", str(archive))
    assert order.synced_before([archive, tmp_path], "DELETE")


def test_archive_is_refused_to_a_role_that_is_no_archiver(app_role, tmp_path):
    row = _event("2024-03-01T10:00", "old")
    with pytest.raises(CommandError, match="member of rayport_audit_archiver"):
        call_command("archive_audit", "--before", "2025-01-01", "--to", str(tmp_path / "a.jsonl.gz"))
    assert AuditRecord.objects.filter(pk=row.pk).exists()
    assert not (tmp_path / "a.jsonl.gz").exists()
