"""Linking orders to open together: link_orders, add_to_order_group, unlink_orders."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from django.contrib.auth.models import User

from postdicom import get_api
from postdicom.errors import InvalidInput, NotFound
from postdicom.local.models import Institution, OrderGroup
from postdicom.types import DIFFERENT_PATIENTS, OrderSummary
from tests.postdicom.local.orders_setup import actions, create, row


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def three(staff_user: User, clinic: Institution) -> list[OrderSummary]:
    """Three orders of one patient."""
    return [create(staff_user, clinic, study_description=f"Study {n}") for n in range(3)]


def _linked(actor: User, order: OrderSummary) -> set[Any]:
    return {o.id for o in get_api().order_properties(actor=actor, order_id=order.id).linked_orders}


def test_linked_orders_show_each_other(staff_user: User, three: list[OrderSummary]) -> None:
    a, b, c = three
    group = get_api().link_orders(actor=staff_user, order_ids=[a.id, b.id, a.id])
    assert OrderGroup.objects.get().uuid == group
    assert _linked(staff_user, a) == {b.id}
    assert _linked(staff_user, b) == {a.id}
    assert _linked(staff_user, c) == set()
    event = get_api().order_properties(actor=staff_user, order_id=a.id).history[0]
    assert (event.action, event.detail["group"], event.detail["linked_with"]) == (
        "order.linked",
        str(group),
        [str(b.id)],
    )


def test_linking_needs_two_orders_of_one_institution(
    staff_user: User, admin_user: User, three: list[OrderSummary], other_clinic: Institution
) -> None:
    with pytest.raises(InvalidInput) as caught:
        get_api().link_orders(actor=staff_user, order_ids=[three[0].id, three[0].id])
    assert "order_ids" in caught.value.field_errors
    elsewhere = create(admin_user, other_clinic)
    with pytest.raises(InvalidInput):
        get_api().link_orders(actor=admin_user, order_ids=[three[0].id, elsewhere.id])
    with pytest.raises(NotFound):  # staff cannot see the other clinic's order
        get_api().link_orders(actor=staff_user, order_ids=[three[0].id, elsewhere.id])
    assert not OrderGroup.objects.exists()


def test_add_to_an_existing_group(staff_user: User, three: list[OrderSummary]) -> None:
    a, b, c = three
    group = get_api().link_orders(actor=staff_user, order_ids=[a.id, b.id])
    get_api().add_to_order_group(actor=staff_user, group_id=group, order_ids=[c.id])
    assert _linked(staff_user, c) == {a.id, b.id}
    assert actions(c.id)[-1] == "order.linked"


def test_add_to_an_unknown_or_hidden_group(
    staff_user: User, outsider: User, three: list[OrderSummary], other_clinic: Institution
) -> None:
    a, b, _c = three
    group = get_api().link_orders(actor=staff_user, order_ids=[a.id, b.id])
    mine = create(outsider, other_clinic)
    with pytest.raises(NotFound):
        get_api().add_to_order_group(actor=outsider, group_id=group, order_ids=[mine.id])
    with pytest.raises(NotFound):
        get_api().add_to_order_group(actor=staff_user, group_id=uuid4(), order_ids=[a.id])


def test_add_refuses_another_institution(
    admin_user: User, staff_user: User, three: list[OrderSummary], other_clinic: Institution
) -> None:
    group = get_api().link_orders(actor=staff_user, order_ids=[three[0].id, three[1].id])
    elsewhere = create(admin_user, other_clinic)
    with pytest.raises(InvalidInput):
        get_api().add_to_order_group(actor=admin_user, group_id=group, order_ids=[elsewhere.id])


def test_relinking_moves_orders_and_dissolves_what_is_left(staff_user: User, three: list[OrderSummary]) -> None:
    a, b, c = three
    first = get_api().link_orders(actor=staff_user, order_ids=[a.id, b.id])
    second = get_api().link_orders(actor=staff_user, order_ids=[b.id, c.id])
    assert set(OrderGroup.objects.values_list("uuid", flat=True)) == {second}
    assert row(a.id).group is None
    assert actions(a.id)[-1] == "order.unlinked"
    assert first != second


def test_unlink_dissolves_a_group_left_with_one_order(staff_user: User, three: list[OrderSummary]) -> None:
    a, b, c = three
    get_api().link_orders(actor=staff_user, order_ids=[a.id, b.id, c.id])
    get_api().unlink_orders(actor=staff_user, order_ids=[a.id])
    assert _linked(staff_user, b) == {c.id}
    assert _linked(staff_user, a) == set()
    get_api().unlink_orders(actor=staff_user, order_ids=[b.id])
    assert not OrderGroup.objects.exists()
    assert row(c.id).group is None
    assert [actions(o.id)[-1] for o in three] == ["order.unlinked"] * 3
    get_api().unlink_orders(actor=staff_user, order_ids=[a.id])  # in no group: skipped
    assert actions(a.id).count("order.unlinked") == 1


def test_orders_of_different_patients_are_linked_only_when_confirmed(
    staff_user: User, clinic: Institution, three: list[OrderSummary]
) -> None:
    api = get_api()
    other = create(staff_user, clinic, patient_name="OTRO^Paciente", patient_id="P-9")
    with pytest.raises(InvalidInput) as caught:
        api.link_orders(actor=staff_user, order_ids=[three[0].id, other.id])
    message = caught.value.field_errors[DIFFERENT_PATIENTS][0]
    assert "PEÑA, María José (P-0001)" in message
    assert "OTRO, Paciente (P-9)" in message
    assert row(three[0].id).group is None
    api.link_orders(actor=staff_user, order_ids=[three[0].id, other.id], confirm_different_patients=True)
    assert _linked(staff_user, three[0]) == {other.id}


def test_the_same_patient_id_in_another_case_is_the_same_patient(staff_user: User, clinic: Institution) -> None:
    a, b = create(staff_user, clinic, patient_id="ab-1"), create(staff_user, clinic, patient_id=" AB-1")
    get_api().link_orders(actor=staff_user, order_ids=[a.id, b.id])
    assert _linked(staff_user, a) == {b.id}


def test_adding_another_patient_to_a_link_asks_too(
    staff_user: User, clinic: Institution, three: list[OrderSummary]
) -> None:
    api = get_api()
    group = api.link_orders(actor=staff_user, order_ids=[three[0].id, three[1].id])
    other = create(staff_user, clinic, patient_id="P-9")
    with pytest.raises(InvalidInput) as caught:
        api.add_to_order_group(actor=staff_user, group_id=group, order_ids=[other.id])
    assert DIFFERENT_PATIENTS in caught.value.field_errors
    assert row(other.id).group is None
    api.add_to_order_group(actor=staff_user, group_id=group, order_ids=[three[2].id])  # same patient: no question
    api.add_to_order_group(actor=staff_user, group_id=group, order_ids=[other.id], confirm_different_patients=True)
    assert _linked(staff_user, three[0]) == {three[1].id, three[2].id, other.id}
