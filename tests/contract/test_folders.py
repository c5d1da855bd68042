"""The folder methods the HTTP API serves, on every backend."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.errors import InvalidInput, NotFound
from postdicom.local.models import Institution
from postdicom.types import Capability
from tests.missing import offered
from tests.postdicom.local.orders_setup import create


def test_a_folder_path_is_made_level_by_level_and_listed(api: PostDicomApi, staff_user: User) -> None:
    offered(api, Capability.CREATE_FOLDER)
    made = api.create_folder(actor=staff_user, name="Cardiología/2026", description="Marzo")
    assert (made.name, made.description) == ("2026", "Marzo")
    offered(api, Capability.LIST_FOLDERS)
    top = api.list_folders(actor=staff_user)
    assert [f.name for f in top.sub_folders] == ["Cardiología"]
    assert top.sub_folders[0].all_sub_folder_count == 1
    inside = api.list_folders(actor=staff_user, parent_id=top.sub_folders[0].id)
    assert [f.id for f in inside.sub_folders] == [made.id]


def test_a_refused_folder_names_the_field(api: PostDicomApi, staff_user: User) -> None:
    offered(api, Capability.CREATE_FOLDER)
    with pytest.raises(InvalidInput) as refused:
        api.create_folder(actor=staff_user, name="///")
    assert "name" in refused.value.field_errors


def test_an_order_filed_in_a_folder_is_listed_in_it(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.ADD_ORDER_TO_FOLDERS)
    order = create(staff_user, clinic)
    folder = get_api().create_folder(actor=staff_user, name="Teaching")
    assert api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[folder.id]) == 1
    listing = api.list_folders(actor=staff_user, parent_id=folder.id, with_orders=True)
    assert [o.id for o in listing.orders] == [order.id]
    with pytest.raises(NotFound):
        api.list_folders(actor=outsider, parent_id=folder.id)
    with pytest.raises(NotFound):
        api.add_order_to_folders(actor=outsider, order_id=order.id, folder_ids=[folder.id])
