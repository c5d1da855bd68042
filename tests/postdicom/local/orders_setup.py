"""Helpers shared by the order service tests (tests/postdicom/local/test_orders_*.py).

Scenes are set with the ORM or through the service; what is under test always goes
through ``get_api()``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.contrib.auth.models import User

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.local.models import AuditRecord, Institution, PatientOrder, UserGroup
from postdicom.types import READ_ACTIONS, OrderDraft, OrderSummary, Role
from tests.conftest import make_user

ORDER_DAY = dt.date(2026, 3, 14)


def draft(**changes: Any) -> OrderDraft:
    """A valid draft; ``changes`` override fields."""
    base = OrderDraft(
        patient_name="PEÑA^María^José",
        patient_id="P-0001",
        modality="CT",
        order_date=ORDER_DAY,
        order_time=dt.time(9, 30),
        study_description="Chest CT",
        birth_date=dt.date(1980, 5, 17),
        sex="F",
    )
    return replace(base, **changes)


def create(actor: User, institution: Institution, **changes: Any) -> OrderSummary:
    """Create an order through the service."""
    return get_api().create_order(actor=actor, institution_id=institution.uuid, draft=draft(**changes))


def uid(user: User) -> Any:
    return profile_of(user).uuid


def group_with(*members: User, name: str = "Radiologists") -> UserGroup:
    group = UserGroup.objects.create(name=name)
    group.members.add(*members)
    return group


def limited(username: str, institution: Institution) -> User:
    return make_user(username, Role.LIMITED, [institution])


def actions(order_id: Any) -> list[str]:
    """The changes recorded for an order (not its reads), oldest first."""
    rows = (
        AuditRecord.objects.filter(target_type="order", target_id=str(order_id))
        .exclude(action__in=READ_ACTIONS)
        .order_by("at", "id")
    )
    return list(rows.values_list("action", flat=True))


def row(order_id: Any) -> PatientOrder:
    return PatientOrder.objects.get(uuid=order_id)
