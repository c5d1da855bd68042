"""``postdicom.context.only_orders``: what a view link or an outside share reaches.

Inside the block the acting user sees only the named orders (of those they could see), every
other order is not there, and nothing may be managed; outside it nothing changed.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from postdicom import get_api
from postdicom.context import only_orders, order_scope
from postdicom.errors import Forbidden, NotFound
from postdicom.local.models import Institution
from postdicom.local.orders.visibility import can_manage, visible_among, visible_orders
from postdicom.types import OrderQuery
from tests.postdicom.local.orders_setup import create, row


@pytest.fixture
def two(staff_user: User, clinic: Institution) -> dict[str, Any]:
    return {"a": create(staff_user, clinic, accession_number="A-1"), "b": create(staff_user, clinic, patient_id="P-2")}


def test_a_scope_narrows_every_order_read_to_its_orders(two: dict[str, Any], admin_user: User) -> None:
    api = get_api()
    a, b = two["a"], two["b"]
    with only_orders([a.id]):
        assert [o.id for o in api.search_orders(actor=admin_user, query=OrderQuery()).items] == [a.id]
        assert api.order_properties(actor=admin_user, order_id=a.id).summary.id == a.id
        with pytest.raises(NotFound):
            api.order_properties(actor=admin_user, order_id=b.id)
        assert visible_among(admin_user, [row(a.id), row(b.id)]) == {row(a.id).pk}
    assert visible_orders(admin_user).count() == 2


def test_a_scope_never_widens_what_the_user_sees(two: dict[str, Any], outsider: User) -> None:
    with only_orders([two["a"].id]):
        assert visible_orders(outsider).count() == 0
        with pytest.raises(NotFound):
            get_api().order_properties(actor=outsider, order_id=two["a"].id)


def test_nothing_is_managed_inside_a_scope(two: dict[str, Any], staff_user: User) -> None:
    a = two["a"]
    with only_orders([a.id]):
        assert can_manage(staff_user, row(a.id)) is False
        assert get_api().order_properties(actor=staff_user, order_id=a.id).can_manage is False
        with pytest.raises(Forbidden):
            get_api().delete_order(actor=staff_user, order_id=a.id)
    assert row(a.id).deleted_at is None


def test_scopes_nest_by_intersection(two: dict[str, Any]) -> None:
    a, b = two["a"].id, two["b"].id
    with only_orders([a]):
        with only_orders([a, b]):
            assert order_scope() == frozenset({a})
        assert order_scope() == frozenset({a})
    assert order_scope() is None
