"""The recycle bin: delete, restore, list, purge, and the daily purge task."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from postdicom import get_api
from postdicom.errors import InvalidInput, NotFound
from postdicom.local.models import (
    AuditRecord,
    FlagGroupRecord,
    FlagRecord,
    Institution,
    OrderFlag,
    OrderGroup,
    OrderUserAssignment,
    PatientOrder,
)
from postdicom.local.tasks import purge_expired_orders
from postdicom.types import OrderQuery
from tests.postdicom.local.orders_setup import actions, create, group_with, row, uid


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _ids(actor: User) -> set[Any]:
    return {o.id for o in get_api().search_orders(actor=actor, query=OrderQuery()).items}


def test_round_trip_keeps_flags_assignments_and_links(
    staff_user: User, limited_user: User, clinic: Institution
) -> None:
    api = get_api()
    order = create(staff_user, clinic, accession_number="AN-1")
    other = create(staff_user, clinic, patient_id="P-2")
    urgency = FlagGroupRecord.objects.create(name="Urgency")
    urgent = FlagRecord.objects.create(group=urgency, name="Urgent", color="#cc0000")
    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=urgency.uuid, flag_id=urgent.uuid)
    api.assign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))
    api.assign_order(actor=staff_user, order_id=order.id, group_id=group_with(limited_user).uuid)
    link = api.link_orders(actor=staff_user, order_ids=[order.id, other.id], confirm_different_patients=True)
    before = api.order_properties(actor=staff_user, order_id=order.id)

    api.delete_order(actor=staff_user, order_id=order.id)
    assert order.id not in _ids(staff_user)
    assert order.id not in _ids(limited_user)
    assert api.order_properties(actor=staff_user, order_id=other.id).linked_orders == ()
    saved = row(order.id)
    assert saved.deleted_by == staff_user
    assert OrderFlag.objects.filter(order=saved).count() == 1
    assert OrderUserAssignment.objects.filter(order=saved).count() == 1

    api.restore_order(actor=staff_user, order_id=order.id)
    after = api.order_properties(actor=staff_user, order_id=order.id)
    assert after.summary == before.summary
    assert after.summary.group_id == link
    assert after.assigned_users == before.assigned_users
    assert after.assigned_groups == before.assigned_groups
    assert [o.id for o in after.linked_orders] == [other.id]
    assert order.id in _ids(limited_user)
    assert actions(order.id)[-2:] == ["order.deleted", "order.restored"]


def test_recycle_bin_lists_deleted_orders_with_their_purge_date(
    staff_user: User, outsider: User, clinic: Institution, settings: Any
) -> None:
    settings.RAYPORT_RECYCLE_BIN_DAYS = 10
    api = get_api()
    older, newer = create(staff_user, clinic), create(staff_user, clinic, patient_id="P-2")
    create(staff_user, clinic, patient_id="P-3")  # stays
    api.delete_order(actor=staff_user, order_id=older.id)
    api.delete_order(actor=staff_user, order_id=newer.id)
    PatientOrder.objects.filter(uuid=older.id).update(deleted_at=timezone.now() - dt.timedelta(days=3, hours=1))

    page = api.recycle_bin(actor=staff_user)

    assert [r.order.id for r in page.items] == [newer.id, older.id]
    first, second = page.items
    assert first.deleted_by == "Sam Staff"
    assert first.purge_at == first.deleted_at + dt.timedelta(days=10)
    assert (first.days_left, second.days_left) == (10, 7)
    assert api.recycle_bin(actor=outsider).total == 0


def test_deleting_twice_or_unknown_is_not_found(staff_user: User, clinic: Institution) -> None:
    order = create(staff_user, clinic)
    get_api().delete_order(actor=staff_user, order_id=order.id)
    with pytest.raises(NotFound):
        get_api().delete_order(actor=staff_user, order_id=order.id)


def test_restoring_a_live_order_changes_nothing(staff_user: User, clinic: Institution) -> None:
    order = create(staff_user, clinic)
    get_api().restore_order(actor=staff_user, order_id=order.id)
    assert actions(order.id) == ["order.created"]


def test_purge_removes_the_order_and_dissolves_its_link(
    staff_user: User, admin_user: User, clinic: Institution
) -> None:
    api = get_api()
    order, other = create(staff_user, clinic), create(staff_user, clinic, patient_id="P-2")
    api.link_orders(actor=staff_user, order_ids=[order.id, other.id], confirm_different_patients=True)
    api.delete_order(actor=staff_user, order_id=order.id)
    api.purge_order(actor=admin_user, order_id=order.id)
    assert not PatientOrder.objects.filter(uuid=order.id).exists()
    assert row(other.id).group is None
    assert not OrderGroup.objects.exists()
    assert actions(order.id)[-1] == "order.purged"
    assert actions(other.id)[-1] == "order.unlinked"
    with pytest.raises(NotFound):
        api.purge_order(actor=admin_user, order_id=order.id)


def test_a_live_order_cannot_be_purged(staff_user: User, admin_user: User, clinic: Institution) -> None:
    order = create(staff_user, clinic)
    with pytest.raises(InvalidInput):
        get_api().purge_order(actor=admin_user, order_id=order.id)
    with pytest.raises(InvalidInput):
        get_api().purge_order(actor=None, order_id=order.id)
    assert row(order.id).deleted_at is None


def test_purge_task_removes_expired_orders_only(staff_user: User, clinic: Institution, settings: Any) -> None:
    settings.RAYPORT_RECYCLE_BIN_DAYS = 30
    api = get_api()
    expired, recent, live = (create(staff_user, clinic, patient_id=f"P-{n}") for n in range(3))
    for order in (expired, recent):
        api.delete_order(actor=staff_user, order_id=order.id)
    PatientOrder.objects.filter(uuid=expired.id).update(deleted_at=timezone.now() - dt.timedelta(days=30, minutes=1))
    PatientOrder.objects.filter(uuid=recent.id).update(deleted_at=timezone.now() - dt.timedelta(days=29, hours=23))

    assert purge_expired_orders() == 1

    assert set(PatientOrder.objects.values_list("uuid", flat=True)) == {recent.id, live.id}
    event = AuditRecord.objects.get(action="order.purged")
    assert (event.actor, event.actor_name, event.target_id) == (None, "system", str(expired.id))
    assert event.detail["by_task"] is True
    assert purge_expired_orders() == 0


def test_purge_task_is_scheduled_daily(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired-orders"]
    assert entry["task"] == purge_expired_orders.name
    assert entry["schedule"].remaining_estimate(timezone.now()) <= dt.timedelta(days=1)
