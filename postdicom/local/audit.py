"""Writing the audit trail. Every change in the embedded backend calls ``record``; every read
of patient data (an order, a search, a document, a folder's orders, an upload report, an
audit export) calls ``record_read``."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from postdicom.context import client_ip
from postdicom.local import bulk
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
    event = AuditRecord(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor_name or (actor.get_username() if actor is not None else "system"),
        action=AuditAction(action).value,
        target_type=target_type,
        target_id=str(target_id),
        target_label=target_label[:250],
        ip=client_ip(),
        detail=detail,
    )
    pending: list[AuditRecord] | None = getattr(_pending, "events", None)
    if pending is not None:
        pending.append(event)
    else:
        event.save(force_insert=True)


_pending = threading.local()


@contextmanager
def written_together() -> Iterator[None]:
    """The events ``record`` is given in this block (this thread) are written when it ends,
    in one INSERT: use it inside the transaction whose work they record (a STOW-RS request
    writes three or four events; one statement instead). An exception leaving the block
    writes none (that transaction rolls back anyway). Code that reads the events back
    inside the block calls ``flush`` first."""
    if getattr(_pending, "events", None) is not None:  # nested: the outer block writes them
        yield
        return
    _pending.events = []
    try:
        yield
        flush()
    finally:
        _pending.events = None


def flush() -> None:
    """Write the events ``written_together`` holds so far (nothing outside such a block)."""
    pending: list[AuditRecord] | None = getattr(_pending, "events", None)
    if pending:
        _pending.events = []
        now = timezone.now()  # what ``auto_now_add`` would give each
        rows = [[now, *(getattr(event, name) for name in _ATTRIBUTES)] for event in pending]
        bulk.insert_rows(AuditRecord, _COLUMNS, rows)


#: What an event is written with (``at`` first; the id is the database's), and the attributes
#: of an unsaved ``AuditRecord`` that hold them (a foreign key's id, not its row).
_COLUMNS = ("at", "actor", "actor_name", "action", "target_type", "target_id", "target_label", "ip", "detail")
_ATTRIBUTES = ("actor_id", *_COLUMNS[2:])


#: A document read, or an upload report, seen again by the same person within this time is
#: the same read: the range requests of one video (a player asks for many), a resumed
#: download, a page that refreshes itself. See docs/decisions.md, "Audit: reads, …".
SAME_READ_WITHIN = dt.timedelta(minutes=10)


def record_read(
    actor: User,
    action: AuditAction,
    *,
    target_type: str,
    target_id: object,
    target_label: str = "",
    once_within: dt.timedelta | None = None,
    same: Mapping[str, str] | None = None,
    **detail: Any,
) -> None:
    """Record that ``actor`` read patient data (HIPAA §164.312(b)).

    With ``once_within``, nothing is written when the same actor already recorded the same
    action on the same target (and the same ``same`` detail values, e.g. the document) that
    recently; the lookup uses the ``(target_type, target_id, -at)`` index."""
    keys = dict(same or {})
    if once_within is not None:
        earlier = AuditRecord.objects.filter(
            target_type=target_type,
            target_id=str(target_id),
            action=action,
            actor=actor if actor.pk else None,
            at__gte=timezone.now() - once_within,
        )
        for key, value in keys.items():
            earlier = earlier.filter(**{f"detail__{key}": value})
        if earlier.exists():
            return
    record(actor, action, target_type=target_type, target_id=target_id, target_label=target_label, **keys, **detail)
