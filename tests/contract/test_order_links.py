"""Linked orders (a link group opens together), on every backend (tests/contract/conftest.py)."""

from __future__ import annotations

from uuid import UUID

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import Institution
from postdicom.types import DIFFERENT_PATIENTS, Capability
from tests.missing import offered
from tests.postdicom.local.orders_setup import create, uid


def _linked(actor: User, order_id: UUID) -> set[UUID]:
    return {o.id for o in get_api().order_properties(actor=actor, order_id=order_id).linked_orders}


def test_orders_of_one_patient_are_linked_grown_and_unlinked(
    api: PostDicomApi, staff_user: User, clinic: Institution
) -> None:
    offered(api, Capability.LINK_ORDERS)
    a, b, c = (create(staff_user, clinic, patient_id="P-1", patient_name="李^小龍") for _ in range(3))
    group = api.link_orders(actor=staff_user, order_ids=[a.id, b.id])
    assert _linked(staff_user, a.id) == {b.id}
    assert get_api().order_properties(actor=staff_user, order_id=a.id).summary.group_id == group
    offered(api, Capability.ADD_TO_ORDER_GROUP)
    api.add_to_order_group(actor=staff_user, group_id=group, order_ids=[c.id, b.id])  # b already in: skipped
    assert _linked(staff_user, a.id) == {b.id, c.id}
    offered(api, Capability.UNLINK_ORDERS)
    api.unlink_orders(actor=staff_user, order_ids=[c.id])
    assert _linked(staff_user, a.id) == {b.id}
    api.unlink_orders(actor=staff_user, order_ids=[a.id, c.id])  # c in no group: skipped
    assert _linked(staff_user, b.id) == set()  # a group left with one order dissolves
    assert get_api().order_properties(actor=staff_user, order_id=b.id).summary.group_id is None


def test_links_of_different_patients_need_confirming(api: PostDicomApi, staff_user: User, clinic: Institution) -> None:
    offered(api, Capability.LINK_ORDERS)
    a = create(staff_user, clinic, patient_id="P-1")
    b = create(staff_user, clinic, patient_id="P-2")
    c = create(staff_user, clinic, patient_id="P-3")
    with pytest.raises(InvalidInput) as refused:
        api.link_orders(actor=staff_user, order_ids=[a.id, b.id])
    assert DIFFERENT_PATIENTS in refused.value.field_errors
    with pytest.raises(InvalidInput) as refused:
        api.link_orders(actor=staff_user, order_ids=[a.id])
    assert set(refused.value.field_errors) == {"order_ids"}
    group = api.link_orders(actor=staff_user, order_ids=[a.id, b.id], confirm_different_patients=True)
    offered(api, Capability.ADD_TO_ORDER_GROUP)
    with pytest.raises(InvalidInput) as refused:
        api.add_to_order_group(actor=staff_user, group_id=group, order_ids=[c.id])
    assert DIFFERENT_PATIENTS in refused.value.field_errors
    api.add_to_order_group(actor=staff_user, group_id=group, order_ids=[c.id], confirm_different_patients=True)
    assert _linked(staff_user, c.id) == {a.id, b.id}


def test_who_may_not_link(
    api: PostDicomApi,
    staff_user: User,
    limited_user: User,
    outsider: User,
    clinic: Institution,
    other_clinic: Institution,
) -> None:
    offered(api, Capability.LINK_ORDERS)
    a = create(staff_user, clinic, patient_id="P-1")
    b = create(staff_user, clinic, patient_id="P-1")
    theirs = create(outsider, other_clinic, patient_id="P-1")
    with pytest.raises(NotFound):
        api.link_orders(actor=staff_user, order_ids=[a.id, theirs.id])
    for order in (a, b):
        get_api().assign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))
    with pytest.raises(Forbidden):
        api.link_orders(actor=limited_user, order_ids=[a.id, b.id])
    group = get_api().link_orders(actor=staff_user, order_ids=[a.id, b.id])
    offered(api, Capability.ADD_TO_ORDER_GROUP)
    with pytest.raises(NotFound):
        api.add_to_order_group(actor=outsider, group_id=group, order_ids=[theirs.id])
    offered(api, Capability.UNLINK_ORDERS)
    with pytest.raises(NotFound):
        api.unlink_orders(actor=outsider, order_ids=[a.id])
    with pytest.raises(Forbidden):
        api.unlink_orders(actor=limited_user, order_ids=[a.id])
    assert _linked(staff_user, a.id) == {b.id}
