"""One order with everything about it (GetPatientOrderProperties)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Prefetch, Q
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import NotFound
from postdicom.local import convert
from postdicom.local.audit import record_read
from postdicom.local.folders.membership import holding
from postdicom.local.models import AuditRecord, PatientOrder, SeriesRecord, StudyRecord, UserGroup
from postdicom.local.orders.search import with_summary_data
from postdicom.local.orders.visibility import can_manage, order_label, visible_orders
from postdicom.local.uploads.documents import order_documents
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: The newest audit events shown with an order; the full trail is in the audit log.
HISTORY_LIMIT = 200
#: The most people listed as having viewed an order (the most recent first).
VIEWERS_LIMIT = 50


def _order(actor: User, order_id: UUID) -> PatientOrder:
    rows = with_summary_data(visible_orders(actor)).select_related("created_by", "scheduled_equipment__institution")
    try:
        return rows.get(uuid=order_id)
    except PatientOrder.DoesNotExist:
        raise NotFound(_("No such order.")) from None


def _linked(actor: User, order: PatientOrder) -> tuple[t.OrderSummary, ...]:
    if order.group_id is None:
        return ()
    others = visible_orders(actor).filter(group_id=order.group_id).exclude(pk=order.pk)
    return tuple(convert.order_summary(o) for o in with_summary_data(others).order_by("order_date", "id"))


def _assigned_users(order: PatientOrder) -> tuple[t.UserInfo, ...]:
    users = (
        get_user_model()
        .objects.filter(order_assignments__order=order)
        .select_related("profile")
        .prefetch_related("profile__institutions")
        .order_by("last_name", "first_name", "username")
    )
    return tuple(convert.user(u) for u in users)


def _assigned_groups(order: PatientOrder) -> tuple[t.UserGroupInfo, ...]:
    groups = (
        UserGroup.objects.filter(order_assignments__order=order)
        .annotate(member_count=Count("members", distinct=True))
        .order_by("name")
    )
    return tuple(convert.user_group(g) for g in groups)


def _studies(order: PatientOrder) -> tuple[t.StudyInfo, ...]:
    """The order's studies with their series and stored image counts (two queries)."""
    series = SeriesRecord.objects.annotate(image_count=Count("instances", filter=Q(instances__stored=True))).order_by(
        "number", "id"
    )
    rows = StudyRecord.objects.filter(order=order).prefetch_related(Prefetch("series", queryset=series))
    return tuple(convert.study(s) for s in rows.order_by("study_date", "id"))


def _history(order: PatientOrder) -> tuple[t.AuditEvent, ...]:
    """The changes to the order, newest first (its reads are in ``_viewers``)."""
    events = (
        AuditRecord.objects.filter(target_type="order", target_id=str(order.uuid))
        .exclude(action__in=t.READ_ACTIONS)
        .select_related("actor")
        .order_by("-at", "-id")
    )
    return tuple(convert.audit_event(e) for e in events[:HISTORY_LIMIT])


def _viewers(order: PatientOrder) -> tuple[t.OrderViewer, ...]:
    """Who read the order (its page or a document), one line per person: one grouped query
    on the ``(target_type, target_id, -at)`` index."""
    reads = (
        AuditRecord.objects.filter(target_type="order", target_id=str(order.uuid), action__in=t.READ_ACTIONS)
        .values("actor_name", "actor__first_name", "actor__last_name")
        .annotate(views=Count("id"), last=Max("at"))
        .order_by("-last")[:VIEWERS_LIMIT]
    )
    return tuple(
        t.OrderViewer(
            name=f"{r['actor__first_name'] or ''} {r['actor__last_name'] or ''}".strip() or r["actor_name"],
            views=r["views"],
            last_viewed=r["last"],
        )
        for r in reads
    )


class OrderPropertiesMixin:
    def order_properties(self, *, actor: User, order_id: UUID) -> t.OrderDetail:
        order = _order(actor, order_id)
        record_read(
            actor, AuditAction.ORDER_VIEWED, target_type="order", target_id=order.uuid, target_label=order_label(order)
        )
        creator = order.created_by
        node = order.scheduled_equipment
        manages = can_manage(actor, order)
        return t.OrderDetail(
            summary=convert.order_summary(order),
            draft=convert.order_draft(order),
            created_by=(creator.get_full_name() or creator.get_username()) if creator is not None else "",
            created_at=order.created_at,
            updated_at=order.updated_at,
            scheduled_equipment=convert.dicom_node(node) if node is not None else None,
            performed_at=order.performed_at,
            studies=_studies(order),
            documents=order_documents(order, can_delete=manages),
            folders=holding(actor, order),  # the actor's folders holding it
            assigned_users=_assigned_users(order),
            assigned_groups=_assigned_groups(order),
            linked_orders=_linked(actor, order),
            history=_history(order),
            can_manage=manages,
            viewers=_viewers(order) if manages else (),
        )
