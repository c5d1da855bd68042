"""Create the first administrator, ``admin``, unless that user already exists."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from postdicom.local.access import profile_of
from postdicom.local.audit import record
from postdicom.types import AuditAction, Role


class Command(BaseCommand):
    help = "Create the administrator 'admin' (password from RAYPORT_ADMIN_PASSWORD, or printed once)."

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model().objects
        if users.filter(username="admin").exists():
            self.stdout.write("The administrator 'admin' already exists; left as it is.")
            return
        given = os.environ.get("RAYPORT_ADMIN_PASSWORD", "")
        password = given or secrets.token_urlsafe(12)
        admin = users.create_superuser(username="admin", email="", password=password)
        profile = profile_of(admin)
        profile.role = Role.ADMINISTRATOR.value
        profile.save(update_fields=["role"])
        record(
            None,
            AuditAction.USER_CREATED,
            target_type="user",
            target_id=profile.uuid,
            target_label="admin",
            role="administrator",
        )
        if given:
            self.stdout.write(self.style.SUCCESS("Created the administrator 'admin' with RAYPORT_ADMIN_PASSWORD."))
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Created the administrator 'admin'. Its password, shown only this once: {password}")
            )
