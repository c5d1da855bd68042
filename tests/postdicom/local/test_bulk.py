"""``postdicom.local.bulk``: many rows a statement, each value as its field would write it.

On PostgreSQL (the suite's database) the rows travel as one JSON parameter read back by
``jsonb_to_recordset``: these tests check that every kind of value the callers write comes
back as the ORM would have written it, and that the statement's text does not grow with the
rows (what makes psycopg parse it once).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import DataError, connection, transaction
from django.db.models import JSONField, Value
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from postdicom.local import bulk
from postdicom.local.models import AuditRecord, Institution, UploadBatch, UploadItem

pytestmark = pytest.mark.django_db

#: The audit's columns (``postdicom.local.audit``), as the rows below give them.
COLUMNS = ("at", "actor", "actor_name", "action", "target_type", "target_id", "target_label", "ip", "detail")
#: Text that quoting gets wrong first: quotes, a backslash, JSON's own syntax, letters
#: outside Latin-1.
AWKWARD = 'O\'Brien \\ "quoted" {"not": [json]} 山田^太郎 Ñandú'


def _audit_rows(user: User, count: int) -> list[list[object]]:
    at = dt.datetime(2026, 12, 4, 21, 5, 7, 123456, tzinfo=dt.UTC)
    return [
        [
            at + dt.timedelta(seconds=n),
            user.pk if n % 2 == 0 else None,
            AWKWARD,
            "upload.finished",
            "upload",
            str(uuid.uuid4()),
            f"label {n}",
            "2001:db8::1" if n % 2 else "192.0.2.7",
            {"stored": n, "names": [AWKWARD, None], "nested": {"ok": True}},
        ]
        for n in range(count)
    ]


def test_inserted_rows_hold_what_the_orm_would_have_written(admin_user: User) -> None:
    rows = _audit_rows(admin_user, 3)
    bulk.insert_rows(AuditRecord, COLUMNS, rows)
    found = list(AuditRecord.objects.filter(action="upload.finished").order_by("at"))
    assert len(found) == 3
    for record, row in zip(found, rows, strict=True):
        assert [record.at, record.actor_id, *(getattr(record, name) for name in COLUMNS[2:])] == row


def test_the_statement_is_the_same_for_any_number_of_rows(admin_user: User) -> None:
    sent: list[tuple[str, int]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append((sql, len(params)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        for count in (2, 25):
            bulk.insert_rows(AuditRecord, COLUMNS, _audit_rows(admin_user, count))
    assert len(sent) == 2
    assert sent[0] == sent[1]
    assert sent[0][1] == 1  # the rows, as one parameter


def _batch(clinic: Institution, user: User) -> UploadBatch:
    return UploadBatch.objects.create(institution=clinic, created_by=user, source="api")


def test_inserted_objects_get_their_ids_in_order_and_their_defaults(clinic: Institution, admin_user: User) -> None:
    batch = _batch(clinic, admin_user)
    items = [UploadItem(batch=batch, name=f"{AWKWARD} {n}.dcm", size=n, warnings=[AWKWARD]) for n in range(30)]
    bulk.insert_objects(items)
    assert [item.pk for item in items] == sorted(item.pk for item in items)
    for item in items:
        stored = UploadItem.objects.get(pk=item.pk)
        assert (stored.name, stored.size, stored.warnings, stored.uuid) == (item.name, item.size, [AWKWARD], item.uuid)
        assert stored.created_at == item.created_at
        assert stored.parent_id is None
        assert stored.finished_at is None


def test_updated_rows_take_each_value_and_only_theirs(clinic: Institution, admin_user: User) -> None:
    batch = _batch(clinic, admin_user)
    items = [UploadItem(batch=batch, name=f"{n}.dcm", size=n) for n in range(3)]
    bulk.insert_objects(items)
    when = timezone.now()
    changed = bulk.update_rows(
        UploadItem,
        ["received", "state", "reason", "warnings", "finished_at"],
        [[items[0].pk, 10, "stored", AWKWARD, ["a", {"b": 1}], when], [items[1].pk, 0, "failed", "", [], None]],
    )
    assert changed == 2
    first, second, third = (UploadItem.objects.get(pk=item.pk) for item in items)
    assert (first.received, first.state, first.reason, first.warnings, first.finished_at) == (
        10,
        "stored",
        AWKWARD,
        ["a", {"b": 1}],
        when,
    )
    assert (second.state, second.reason, second.warnings, second.finished_at) == ("failed", "", [], None)
    assert third.state == "receiving"


def test_updates_together_change_each_table(clinic: Institution, admin_user: User) -> None:
    batch = _batch(clinic, admin_user)
    (item,) = items = [UploadItem(batch=batch, name="1.dcm", size=1)]
    bulk.insert_objects(items)
    done = timezone.now()
    bulk.update_rows_together(
        (UploadItem, ["state"], [[item.pk, "stored"]]),
        (UploadBatch, ["state", "notes", "finished_at"], [[batch.pk, "done", [AWKWARD], done]]),
    )
    batch.refresh_from_db()
    assert UploadItem.objects.get(pk=item.pk).state == "stored"
    assert (batch.state, batch.notes, batch.finished_at) == ("done", [AWKWARD], done)


def test_a_text_too_long_for_its_column_fails_as_the_orm_would(clinic: Institution, admin_user: User) -> None:
    batch = _batch(clinic, admin_user)
    (item,) = items = [UploadItem(batch=batch, name="1.dcm", size=1)]
    bulk.insert_objects(items)
    with pytest.raises(DataError), transaction.atomic():
        bulk.update_rows(UploadItem, ["code"], [[item.pk, "x" * 21]])  # max_length=20: never cut short
    assert UploadItem.objects.get(pk=item.pk).code == ""


def test_a_value_json_cannot_carry_is_refused_before_anything_is_sent(admin_user: User) -> None:
    row = _audit_rows(admin_user, 1)[0]
    row[-1] = {"when": object()}
    with CaptureQueriesContext(connection) as queries, pytest.raises(TypeError):
        bulk.insert_rows(AuditRecord, COLUMNS, [row])
    assert queries.captured_queries == []


def test_json_null_is_refused_not_turned_into_sql_null(admin_user: User) -> None:
    """``jsonb_to_recordset`` reads JSON's null as SQL NULL, so the ORM's way of writing the
    JSON document ``null`` (``Value(None, JSONField())``) is refused rather than written as
    SQL NULL. (A plain None is SQL NULL for the ORM too.)"""
    row = _audit_rows(admin_user, 1)[0]
    row[-1] = Value(None, JSONField())
    with pytest.raises(TypeError, match="JSON field's null"):
        bulk.insert_rows(AuditRecord, COLUMNS, [row])
