"""order_properties: every property, links, assignments, flags and the audit history."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from django.contrib.auth.models import User

from postdicom import get_api
from postdicom.errors import NotFound
from postdicom.local.models import FlagGroupRecord, FlagRecord, Institution
from postdicom.types import OrderStatus
from tests.postdicom.local.orders_setup import create, group_with, limited, uid


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_detail_holds_everything(staff_user: User, limited_user: User, clinic: Institution) -> None:
    api = get_api()
    order = create(staff_user, clinic, accession_number="AN-1", note1="Bring previous films")
    other = create(staff_user, clinic, patient_id="P-2")
    group = group_with(limited_user, name="Cardiology")
    urgency = FlagGroupRecord.objects.create(name="Urgency")
    urgent = FlagRecord.objects.create(group=urgency, name="Urgent", color="#cc0000")
    api.assign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))
    api.assign_order(actor=staff_user, order_id=order.id, group_id=group.uuid)
    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=urgency.uuid, flag_id=urgent.uuid)
    link = api.link_orders(actor=staff_user, order_ids=[order.id, other.id], confirm_different_patients=True)

    detail = api.order_properties(actor=staff_user, order_id=order.id)

    assert detail.summary.id == order.id
    assert detail.summary.status is OrderStatus.SCHEDULED
    assert detail.summary.group_id == link
    assert detail.summary.label == "PEÑA, María José · AN-1"
    assert detail.draft.note1 == "Bring previous films"
    assert [f.name for f in detail.summary.flags] == ["Urgent"]
    assert [u.username for u in detail.assigned_users] == ["lia"]
    assert [(g.name, g.member_count) for g in detail.assigned_groups] == [("Cardiology", 1)]
    assert [o.id for o in detail.linked_orders] == [other.id]
    assert (detail.studies, detail.documents, detail.folders) == ((), (), ())
    assert detail.can_manage is True
    assert [e.action for e in detail.history] == [
        "order.linked",
        "order.flag_set",
        "order.assigned",
        "order.assigned",
        "order.created",
    ]
    assert all(e.target_id == str(order.id) for e in detail.history)


def test_linked_orders_show_only_what_the_actor_sees(staff_user: User, clinic: Institution) -> None:
    api = get_api()
    order = create(staff_user, clinic)
    hidden = create(staff_user, clinic, patient_id="P-2")
    gone = create(staff_user, clinic, patient_id="P-3")
    api.link_orders(actor=staff_user, order_ids=[order.id, hidden.id, gone.id], confirm_different_patients=True)
    api.delete_order(actor=staff_user, order_id=gone.id)
    reader = limited("rita", clinic)
    api.assign_order(actor=staff_user, order_id=order.id, user_id=uid(reader))
    assert [o.id for o in api.order_properties(actor=staff_user, order_id=order.id).linked_orders] == [hidden.id]
    assert api.order_properties(actor=reader, order_id=order.id).linked_orders == ()


def test_deleted_and_unknown_orders_are_not_found(staff_user: User, clinic: Institution) -> None:
    order = create(staff_user, clinic)
    get_api().delete_order(actor=staff_user, order_id=order.id)
    with pytest.raises(NotFound):
        get_api().order_properties(actor=staff_user, order_id=order.id)
    with pytest.raises(NotFound):
        get_api().order_properties(actor=staff_user, order_id=uuid4())


def test_limited_reader_cannot_manage(staff_user: User, limited_user: User, clinic: Institution) -> None:
    order = create(staff_user, clinic)
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))
    assert get_api().order_properties(actor=limited_user, order_id=order.id).can_manage is False
