"""Archiving old audit events: copy them to a file, then delete them, in one transaction.

On PostgreSQL the table refuses DELETE (migration 0007's trigger) unless the database role is a
member of ``rayport_audit_archiver`` (superusers are) and the transaction has set
``rayport.audit_archive = 'on'``; the application's own role is not a member, so the web
process cannot do this even by setting the flag. See docs/deployment.md, "Archiving the audit
log". The archive is gzipped JSON Lines, one event per line, every column as stored.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from pathlib import Path

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from postdicom.durable import sync_directory
from postdicom.local.audit import record
from postdicom.local.models import AuditRecord
from postdicom.types import AuditAction

#: Rows fetched from the server at a time while writing the archive.
CHUNK = 5000

COLUMNS = ("id", "at", "actor_id", "actor_name", "action", "target_type", "target_id", "target_label", "ip", "detail")


class ArchiveRefused(Exception):
    """The database role may not delete audit events (or the file exists)."""


def may_archive() -> bool:
    """Whether this connection's role may delete audit events (always true without the trigger)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regprocedure('rayport_may_archive_audit()') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return True
        cursor.execute("SELECT rayport_may_archive_audit()")
        return bool(cursor.fetchone()[0])


def archive_before(before: dt.datetime, path: Path) -> int:
    """Move every event older than ``before`` to the new file ``path``; returns how many.

    The file is written and flushed to disk before the rows are deleted, and both happen in
    one transaction: if anything fails, the events stay in the table."""
    if path.exists():
        raise ArchiveRefused(f"{path} already exists; choose a new file name.")
    if not may_archive():
        raise ArchiveRefused(
            "This database role may not delete audit events. Run the command with a role that is a "
            "member of rayport_audit_archiver (docs/deployment.md, 'Archiving the audit log')."
        )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL rayport.audit_archive = 'on'")
        rows = AuditRecord.objects.filter(at__lt=before).order_by("id").values_list(*COLUMNS)
        count, last_id = 0, 0
        with open(path, "xb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as packed:
            for values in rows.iterator(chunk_size=CHUNK):
                line = json.dumps(dict(zip(COLUMNS, values, strict=True)), cls=DjangoJSONEncoder, ensure_ascii=False)
                packed.write(line.encode() + b"\n")
                count, last_id = count + 1, values[0]
            packed.flush()
            raw.flush()
            os.fsync(raw.fileno())
        sync_directory(path.parent)  # the file's name too, before the events it holds are deleted
        with connection.cursor() as cursor:
            table = AuditRecord._meta.db_table
            cursor.execute(f"DELETE FROM {table} WHERE at < %s AND id <= %s", [before, last_id])  # noqa: S608
            deleted = cursor.rowcount
        if deleted != count:  # cannot happen: rows are never changed and ids only grow
            raise ArchiveRefused(f"Wrote {count} events but {deleted} matched the delete; nothing was deleted.")
        record(
            None,
            AuditAction.AUDIT_ARCHIVED,
            target_type="",
            target_id="",
            target_label=path.name,
            actor_name="archive_audit",
            before=before.isoformat(),
            events=count,
        )
    return count
