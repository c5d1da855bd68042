"""set_order_flag: at most one flag per flag group; set, replace, clear."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from django.contrib.auth.models import User

from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.local.models import AuditRecord, FlagGroupRecord, FlagRecord, Institution, OrderFlag
from postdicom.types import OrderQuery
from tests.postdicom.local.orders_setup import actions, create, row


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def dictionary(db: None) -> dict[str, Any]:
    urgency = FlagGroupRecord.objects.create(name="Urgency")
    review = FlagGroupRecord.objects.create(name="Review")
    return {
        "urgency": urgency,
        "review": review,
        "urgent": FlagRecord.objects.create(group=urgency, name="Urgent", color="#cc0000"),
        "routine": FlagRecord.objects.create(group=urgency, name="Routine", color="#00aa00"),
        "second": FlagRecord.objects.create(group=review, name="Second opinion", color="#0000cc"),
    }


def _flags(actor: User, order_id: Any) -> list[str]:
    return [f.name for f in get_api().order_properties(actor=actor, order_id=order_id).summary.flags]


def test_one_flag_per_group(staff_user: User, clinic: Institution, dictionary: dict[str, Any]) -> None:
    api, d = get_api(), dictionary
    order = create(staff_user, clinic)
    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=d["urgency"].uuid, flag_id=d["urgent"].uuid)
    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=d["review"].uuid, flag_id=d["second"].uuid)
    assert _flags(staff_user, order.id) == ["Second opinion", "Urgent"]  # by group name
    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=d["urgency"].uuid, flag_id=d["routine"].uuid)
    assert _flags(staff_user, order.id) == ["Second opinion", "Routine"]
    assert OrderFlag.objects.filter(order=row(order.id)).count() == 2
    replaced = AuditRecord.objects.filter(action="order.flag_set").order_by("-id").first()
    assert replaced is not None
    assert (replaced.detail["flag"], replaced.detail["replaced"]) == ("Routine", "Urgent")


def test_clear_a_flag(staff_user: User, clinic: Institution, dictionary: dict[str, Any]) -> None:
    api, d = get_api(), dictionary
    order = create(staff_user, clinic)
    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=d["urgency"].uuid, flag_id=d["urgent"].uuid)
    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=d["urgency"].uuid, flag_id=None)
    assert _flags(staff_user, order.id) == []
    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=d["urgency"].uuid, flag_id=None)  # no change
    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=d["review"].uuid, flag_id=None)  # none set
    assert actions(order.id) == ["order.created", "order.flag_set", "order.flag_cleared"]


def test_setting_the_same_flag_again_changes_nothing(
    staff_user: User, clinic: Institution, dictionary: dict[str, Any]
) -> None:
    api, d = get_api(), dictionary
    order = create(staff_user, clinic)
    for _ in range(2):
        api.set_order_flag(actor=staff_user, order_id=order.id, group_id=d["urgency"].uuid, flag_id=d["urgent"].uuid)
    assert actions(order.id) == ["order.created", "order.flag_set"]


def test_flag_must_belong_to_the_group(staff_user: User, clinic: Institution, dictionary: dict[str, Any]) -> None:
    d = dictionary
    order = create(staff_user, clinic)
    with pytest.raises(InvalidInput) as caught:
        get_api().set_order_flag(
            actor=staff_user, order_id=order.id, group_id=d["urgency"].uuid, flag_id=d["second"].uuid
        )
    assert "flag_id" in caught.value.field_errors
    with pytest.raises(InvalidInput) as caught:
        get_api().set_order_flag(actor=staff_user, order_id=order.id, group_id=uuid4(), flag_id=None)
    assert "group_id" in caught.value.field_errors
    assert _flags(staff_user, order.id) == []


def test_deleting_a_flag_group_clears_it_from_orders(
    staff_user: User, admin_user: User, clinic: Institution, dictionary: dict[str, Any]
) -> None:
    d = dictionary
    order = create(staff_user, clinic)
    get_api().set_order_flag(actor=staff_user, order_id=order.id, group_id=d["urgency"].uuid, flag_id=d["urgent"].uuid)
    get_api().delete_flag_group(actor=admin_user, group_id=d["urgency"].uuid)
    assert _flags(staff_user, order.id) == []


def test_has_flags_hint_follows_the_flags(staff_user: User, clinic: Institution, dictionary: dict[str, Any]) -> None:
    api, d = get_api(), dictionary
    order = create(staff_user, clinic)
    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=d["urgency"].uuid, flag_id=d["urgent"].uuid)
    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=d["review"].uuid, flag_id=d["second"].uuid)
    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=d["urgency"].uuid, flag_id=None)
    assert row(order.id).has_flags is True
    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=d["review"].uuid, flag_id=None)
    assert row(order.id).has_flags is False


def test_a_stale_hint_never_shows_an_unflagged_order(
    staff_user: User, admin_user: User, clinic: Institution, dictionary: dict[str, Any]
) -> None:
    d = dictionary
    order = create(staff_user, clinic)
    get_api().set_order_flag(actor=staff_user, order_id=order.id, group_id=d["urgency"].uuid, flag_id=d["urgent"].uuid)
    get_api().delete_flag_group(actor=admin_user, group_id=d["urgency"].uuid)  # cascades past the hint
    assert row(order.id).has_flags is True
    page = get_api().search_orders(actor=staff_user, query=OrderQuery(flagged=True))
    assert page.total == 0
