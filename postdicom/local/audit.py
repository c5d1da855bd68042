"""Writing the audit trail. Every change in the embedded backend calls ``record``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from postdicom.context import client_ip
from postdicom.local.models import AuditRecord
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def record(
    actor: User | None,
    action: AuditAction,
    *,
    target_type: str = "",
    target_id: object = "",
    target_label: str = "",
    actor_name: str = "",
    **detail: Any,
) -> None:
    """Append one event; the IP comes from ``postdicom.context``. ``detail`` must be JSON-able.

    ``action`` is an ``AuditAction``; a plain string is accepted only when it is one of its
    values (``ValueError`` otherwise), so a mistyped action never becomes a new event."""
    AuditRecord.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor_name or (actor.get_username() if actor is not None else "system"),
        action=AuditAction(action).value,
        target_type=target_type,
        target_id=str(target_id),
        target_label=target_label[:250],
        ip=client_ip(),
        detail=detail,
    )
