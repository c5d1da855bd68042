"""What the image viewer opens: an order's studies and documents, and the patient's priors."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Count, Prefetch, Q

from postdicom import types as t
from postdicom.local import convert
from postdicom.local.audit import record_read
from postdicom.local.models import PatientOrder, SeriesRecord, StudyRecord
from postdicom.local.orders.properties import _order
from postdicom.local.orders.search import with_summary_data
from postdicom.local.orders.visibility import can_manage, order_label, visible_orders
from postdicom.local.uploads.documents import order_documents
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: The most priors listed beside an order (the newest first).
PRIORS_LIMIT = 50


def _with_studies(orders: list[PatientOrder]) -> tuple[t.OrderStudies, ...]:
    """Each order with its studies and series (two queries for all of them)."""
    series = SeriesRecord.objects.annotate(image_count=Count("instances", filter=Q(instances__stored=True))).order_by(
        "number", "id"
    )
    studies = (
        StudyRecord.objects.filter(order__in=orders)
        .prefetch_related(Prefetch("series", queryset=series))
        .order_by("study_date", "id")
    )
    by_order: dict[int, list[t.StudyInfo]] = {}
    for study in studies:
        by_order.setdefault(study.order_id, []).append(convert.study(study))
    return tuple(
        t.OrderStudies(summary=convert.order_summary(o), studies=tuple(by_order.get(o.pk, ()))) for o in orders
    )


def _priors(actor: User, order: PatientOrder) -> tuple[t.OrderStudies, ...]:
    """The patient's other live orders the actor sees: same Patient ID in the same
    institution (an ID is the institution's record number, not a national one)."""
    if not order.patient_id.strip():
        return ()
    others = (
        visible_orders(actor)
        .filter(institution_id=order.institution_id, patient_id__iexact=order.patient_id.strip())
        .exclude(pk=order.pk)
        .select_related("institution")
        .order_by("-order_date", "-order_time", "-id")
    )
    return _with_studies(list(with_summary_data(others)[:PRIORS_LIMIT]))


class ViewerMixin:
    def patient_orders(self, *, actor: User, order_id: UUID) -> tuple[t.OrderStudies, ...]:
        return _priors(actor, _order(actor, order_id))

    def open_viewer(self, *, actor: User, order_id: UUID) -> t.ViewerContent:
        order = _order(actor, order_id)
        record_read(
            actor,
            AuditAction.ORDER_VIEWER_OPENED,
            target_type="order",
            target_id=order.uuid,
            target_label=order_label(order),
        )
        return t.ViewerContent(
            order=_with_studies([order])[0],
            documents=order_documents(order, can_delete=can_manage(actor, order)),
            priors=_priors(actor, order),
        )
