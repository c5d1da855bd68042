"""The recycle bin (delete, list, restore, purge), on every backend (tests/contract/conftest.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import Institution, PatientOrder
from postdicom.types import Capability, OrderQuery
from tests.missing import offered
from tests.postdicom.local.orders_setup import create, uid


def _live(user: User) -> list[object]:
    return [o.id for o in get_api().search_orders(actor=user, query=OrderQuery()).items]


def test_a_deleted_order_waits_in_the_bin_and_comes_back_whole(
    api: PostDicomApi, staff_user: User, limited_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.RESTORE_ORDER)
    first = create(staff_user, clinic, patient_name="Müller^Jürgen", patient_id="P-1")
    second = create(staff_user, clinic, patient_id="P-2")
    get_api().assign_order(actor=staff_user, order_id=first.id, user_id=uid(limited_user))
    get_api().delete_order(actor=staff_user, order_id=first.id)
    get_api().delete_order(actor=staff_user, order_id=second.id)
    offered(api, Capability.RECYCLE_BIN)
    binned = api.recycle_bin(actor=staff_user)
    assert [r.order.id for r in binned.items] == [second.id, first.id]  # most recently deleted first
    assert binned.items[1].order.patient_name == "Müller^Jürgen"
    assert binned.items[1].deleted_by
    assert binned.items[1].purge_at > binned.items[1].deleted_at
    assert binned.items[1].can_purge is False  # staff may not purge
    assert api.recycle_bin(actor=outsider).items == ()
    with pytest.raises(Forbidden):
        api.recycle_bin(actor=limited_user)
    offered(api, Capability.RECYCLED_ORDER)
    assert api.recycled_order(actor=staff_user, order_id=first.id).order.id == first.id
    with pytest.raises(NotFound):
        api.recycled_order(actor=outsider, order_id=first.id)
    with pytest.raises(Forbidden):
        api.restore_order(actor=limited_user, order_id=first.id)
    with pytest.raises(NotFound):
        api.restore_order(actor=outsider, order_id=first.id)
    api.restore_order(actor=staff_user, order_id=first.id)
    api.restore_order(actor=staff_user, order_id=first.id)  # not deleted: left as it is
    assert _live(limited_user) == [first.id]  # the assignment came back with it
    with pytest.raises(NotFound):
        api.recycled_order(actor=staff_user, order_id=first.id)


def test_only_an_administrator_purges_and_only_from_the_bin(
    api: PostDicomApi, admin_user: User, staff_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.PURGE_ORDER)
    order = create(staff_user, clinic)
    with pytest.raises(InvalidInput):
        api.purge_order(actor=admin_user, order_id=order.id)
    get_api().delete_order(actor=staff_user, order_id=order.id)
    with pytest.raises(Forbidden):
        api.purge_order(actor=staff_user, order_id=order.id)
    with pytest.raises(NotFound):
        api.purge_order(actor=outsider, order_id=order.id)
    assert get_api().recycled_order(actor=admin_user, order_id=order.id).can_purge is True
    api.purge_order(actor=admin_user, order_id=order.id)
    assert not PatientOrder.objects.filter(uuid=order.id).exists()
    with pytest.raises(NotFound):
        api.purge_order(actor=admin_user, order_id=order.id)
