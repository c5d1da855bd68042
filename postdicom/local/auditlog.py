"""Reading the audit trail, and recording sign-ins."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import InvalidInput
from postdicom.local import convert
from postdicom.local.access import profile_of, require_admin
from postdicom.local.audit import record, record_read
from postdicom.local.models import AuditRecord
from postdicom.local.paging import paginate
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User


#: The audit page counts matching events up to this many; past it, it offers the first pages
#: and asks for narrower filters (counting two million rows takes a quarter of a second).
COUNT_LIMIT = 10_000


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class AuditLogMixin:
    def audit_log(self, *, actor: User, query: t.AuditQuery, export: bool = False) -> t.Page[t.AuditEvent]:
        require_admin(actor)
        rows = AuditRecord.objects.all()
        for word in query.text.split():
            rows = rows.filter(
                Q(actor_name__icontains=word)
                | Q(target_label__icontains=word)
                | Q(action__icontains=word)
                | Q(ip__startswith=word)
            )
        if "." in query.action:
            rows = rows.filter(action=query.action)
        elif query.action:  # a family: the actions this version records (index-friendly)
            rows = rows.filter(action__in=[a.value for a in AuditAction if a.family == query.action])
        if query.actor_id is not None:
            rows = rows.filter(actor__profile__uuid=query.actor_id)
        if query.date_from is not None:
            rows = rows.filter(at__gte=_day_start(query.date_from))
        if query.date_to is not None and query.date_to < dt.date.max:  # the last day has no next day
            rows = rows.filter(at__lt=_day_start(query.date_to + dt.timedelta(days=1)))
        if query.older_than is not None:  # after this event in the log's order (the newest index)
            at, pk = query.older_than
            rows = rows.filter(Q(at__lt=at) | Q(at=at, id__lt=pk))
        page = paginate(
            rows,
            query.page,
            query.page_size,
            convert.audit_event,
            # an export reads every page: it needs only to know whether another one follows
            count_up_to=query.page * query.page_size + 1 if export else COUNT_LIMIT,
            fetch=lambda r: r.select_related("actor"),
        )
        if export and query.page == 1 and query.older_than is None:
            filters = {
                "text": query.text,
                "action": query.action,
                "actor_id": str(query.actor_id or ""),
                "date_from": query.date_from.isoformat() if query.date_from else "",
                "date_to": query.date_to.isoformat() if query.date_to else "",
            }
            found = page.total
            filters = {k: v for k, v in filters.items() if v}
            record_read(actor, AuditAction.AUDIT_EXPORTED, target_type="", target_id="", filters=filters, found=found)
        return page

    def record_authentication(self, *, username: str, user: User | None, event: str) -> None:
        try:
            action = AuditAction(f"auth.{event}")
        except ValueError:
            raise InvalidInput({"event": _("Unknown sign-in event “%(event)s”.") % {"event": event}}) from None
        known = user if user is not None and user.pk else None
        record(
            known,
            action,
            target_type="user",
            target_id=profile_of(known).uuid if known is not None else "",
            target_label=username[:150],
            actor_name=(known.get_username() if known is not None else username[:150]) or "?",
        )
