"""Move audit events older than a date to a gzipped JSON Lines file (docs/deployment.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from postdicom.local.auditarchive import ArchiveRefused, archive_before


class Command(BaseCommand):
    help = (
        "Copy audit events recorded before --before (a date, in the portal's time zone) to the new "
        "file --to (gzipped JSON Lines), then delete them. Needs a database role that is a member "
        "of rayport_audit_archiver."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--to", required=True, type=Path, help="the archive file to create")

    def handle(self, *args: Any, **options: Any) -> None:
        day: dt.date = options["before"]
        before = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        try:
            count = archive_before(before, options["to"])
        except ArchiveRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(
            self.style.SUCCESS(f"Archived {count} audit events recorded before {day} to {options['to']}.")
        )
