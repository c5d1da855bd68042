"""Assigning orders to users and groups, and moving them to another institution."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from django.contrib.auth.models import User

from postdicom import get_api
from postdicom.errors import InvalidInput, NotFound
from postdicom.local.models import AuditRecord, DicomNodeRecord, Institution, OrderGroup
from postdicom.types import OrderQuery, Role
from tests.conftest import make_user
from tests.postdicom.local.orders_setup import actions, create, group_with, limited, row, uid


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _sees(user: User, order_id: Any) -> bool:
    return order_id in {o.id for o in get_api().search_orders(actor=user, query=OrderQuery()).items}


def test_limited_user_sees_an_order_while_it_is_assigned(
    staff_user: User, limited_user: User, clinic: Institution
) -> None:
    api = get_api()
    order = create(staff_user, clinic)
    assert not _sees(limited_user, order.id)
    api.assign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))
    assert _sees(limited_user, order.id)
    api.assign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))  # again: no change
    api.unassign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))
    assert not _sees(limited_user, order.id)
    api.unassign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))  # again: no change
    assert actions(order.id) == ["order.created", "order.assigned", "order.unassigned"]
    event = AuditRecord.objects.get(action="order.assigned")
    assert (event.detail["user"], event.target_label) == ("lia", "PEÑA, María José · P-0001")


def test_group_members_see_an_order_while_the_group_has_it(
    staff_user: User, limited_user: User, clinic: Institution
) -> None:
    api = get_api()
    order = create(staff_user, clinic)
    group = group_with(limited_user)
    api.assign_order(actor=staff_user, order_id=order.id, group_id=group.uuid)
    assert _sees(limited_user, order.id)
    group.members.remove(limited_user)
    assert not _sees(limited_user, order.id)
    group.members.add(limited_user)
    api.unassign_order(actor=staff_user, order_id=order.id, group_id=group.uuid)
    assert not _sees(limited_user, order.id)
    assert actions(order.id)[-2:] == ["order.assigned", "order.unassigned"]


def test_exactly_one_target(staff_user: User, limited_user: User, clinic: Institution) -> None:
    order = create(staff_user, clinic)
    group = group_with(limited_user)
    for kwargs in ({}, {"user_id": uid(limited_user), "group_id": group.uuid}):
        with pytest.raises(InvalidInput):
            get_api().assign_order(actor=staff_user, order_id=order.id, **kwargs)
        with pytest.raises(InvalidInput):
            get_api().unassign_order(actor=staff_user, order_id=order.id, **kwargs)


def test_assignee_must_be_an_active_user_of_the_institution(
    staff_user: User, outsider: User, clinic: Institution
) -> None:
    order = create(staff_user, clinic)
    retired = limited("ret", clinic)
    retired.is_active = False
    retired.save()
    for user in (outsider, retired):
        with pytest.raises(InvalidInput) as caught:
            get_api().assign_order(actor=staff_user, order_id=order.id, user_id=uid(user))
        assert "user_id" in caught.value.field_errors
    colleague = make_user("cole", Role.STAFF, [clinic])
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=uid(colleague))


def test_unknown_group_is_invalid(staff_user: User, clinic: Institution) -> None:
    order = create(staff_user, clinic)
    with pytest.raises(InvalidInput) as caught:
        get_api().assign_order(actor=staff_user, order_id=order.id, group_id=uuid4())
    assert "group_id" in caught.value.field_errors


# --- Moving to another institution ------------------------------------------------------------------


@pytest.fixture
def both(staff_user: User, other_clinic: Institution) -> User:
    """``staff_user`` now works in both institutions."""
    staff_user.profile.institutions.add(other_clinic)
    return staff_user


def test_move_clears_equipment_and_links(both: User, clinic: Institution, other_clinic: Institution) -> None:
    node = DicomNodeRecord.objects.create(institution=clinic, name="CT", ae_title="CT1", host="ct", port=104)
    order = create(both, clinic, scheduled_equipment_id=node.uuid, accession_number="AN-1")
    other = create(both, clinic, patient_id="P-2")
    get_api().link_orders(actor=both, order_ids=[order.id, other.id], confirm_different_patients=True)

    get_api().move_order_to_institution(actor=both, order_id=order.id, institution_id=other_clinic.uuid)

    moved = row(order.id)
    assert (moved.institution, moved.scheduled_equipment, moved.group) == (other_clinic, None, None)
    assert not OrderGroup.objects.exists()
    event = AuditRecord.objects.get(action="order.moved")
    assert event.detail["from_institution"] == "Clínica Central"
    assert event.detail["to_institution"] == "North Imaging"
    assert event.detail["scheduled_equipment_cleared"] == "CT"


def test_move_target_must_be_one_of_the_actors_active_institutions(
    staff_user: User, clinic: Institution, other_clinic: Institution
) -> None:
    order = create(staff_user, clinic)
    with pytest.raises(InvalidInput) as caught:
        get_api().move_order_to_institution(actor=staff_user, order_id=order.id, institution_id=other_clinic.uuid)
    assert "institution_id" in caught.value.field_errors
    staff_user.profile.institutions.add(other_clinic)
    other_clinic.is_active = False
    other_clinic.save()
    with pytest.raises(InvalidInput):
        get_api().move_order_to_institution(actor=staff_user, order_id=order.id, institution_id=other_clinic.uuid)
    assert row(order.id).institution == clinic


def test_move_checks_the_accession_number(
    both: User, admin_user: User, clinic: Institution, other_clinic: Institution
) -> None:
    order = create(both, clinic, accession_number="AN-9")
    create(admin_user, other_clinic, accession_number="an-9")
    with pytest.raises(InvalidInput) as caught:
        get_api().move_order_to_institution(actor=both, order_id=order.id, institution_id=other_clinic.uuid)
    assert "institution_id" in caught.value.field_errors


def test_moved_order_leaves_staff_of_the_old_institution(
    admin_user: User, staff_user: User, clinic: Institution, other_clinic: Institution
) -> None:
    order = create(staff_user, clinic)
    get_api().move_order_to_institution(actor=admin_user, order_id=order.id, institution_id=other_clinic.uuid)
    with pytest.raises(NotFound):
        get_api().order_properties(actor=staff_user, order_id=order.id)
    assert actions(order.id)[-1] == "order.moved"


def test_moving_to_the_same_institution_changes_nothing(staff_user: User, clinic: Institution) -> None:
    order = create(staff_user, clinic)
    get_api().move_order_to_institution(actor=staff_user, order_id=order.id, institution_id=clinic.uuid)
    assert actions(order.id) == ["order.created"]
