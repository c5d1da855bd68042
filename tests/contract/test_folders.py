"""The folder methods the HTTP API serves, on every backend."""

from __future__ import annotations

from uuid import UUID, uuid4

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


# --- One folder, the tree, a search ---------------------------------------------------------------


def test_one_folder_comes_with_its_counts_and_ancestors(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.GET_FOLDER)
    made = get_api().create_folder(actor=staff_user, name="Кардиология/2026/Март")
    year = made.ancestors[-1]
    order = create(staff_user, clinic)
    get_api().add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[year.id, made.id])
    found = api.get_folder(actor=staff_user, folder_id=year.id)
    assert (found.name, found.parent_id) == ("2026", made.ancestors[0].id)
    assert [a.name for a in found.ancestors] == ["Кардиология"]
    assert (found.order_count, found.all_sub_order_count) == (1, 2)
    assert (found.sub_folder_count, found.all_sub_folder_count) == (1, 1)
    with pytest.raises(NotFound):
        api.get_folder(actor=outsider, folder_id=year.id)
    with pytest.raises(NotFound):
        api.get_folder(actor=staff_user, folder_id=uuid4())
    with pytest.raises(NotFound):  # PostDICOM's all-zero GUID stands for the top level
        api.get_folder(actor=staff_user, folder_id=UUID(int=0))


def test_the_whole_tree_depth_first(api: PostDicomApi, staff_user: User, outsider: User) -> None:
    offered(api, Capability.FOLDER_TREE)
    get_api().create_folder(actor=staff_user, name="Zürich/Ärzte")
    get_api().create_folder(actor=staff_user, name="bern")
    get_api().create_folder(actor=outsider, name="Not yours")
    tree = api.folder_tree(actor=staff_user)
    assert [f.name for f in tree] == ["bern", "Zürich", "Ärzte"]
    assert [f.name for f in tree.children(tree.roots[1].id)] == ["Ärzte"]
    assert tree.roots[1].all_sub_folder_count == 1
    assert [f.name for f in api.folder_tree(actor=outsider, with_counts=False)] == ["Not yours"]


def test_a_search_finds_folders_at_any_depth(api: PostDicomApi, staff_user: User, outsider: User) -> None:
    offered(api, Capability.SEARCH_FOLDERS)
    get_api().create_folder(actor=staff_user, name="Teaching/Neuro/Glioma cases")
    get_api().create_folder(actor=staff_user, name="Neuroradiología")
    get_api().create_folder(actor=outsider, name="Neuro")
    found = api.search_folders(actor=staff_user, text="NEURO")
    assert [f.name for f in found] == ["Neuroradiología", "Neuro"]
    assert [a.name for a in found[1].ancestors] == ["Teaching"]
    assert found[1].sub_folder_count == 1
    assert api.search_folders(actor=staff_user, text="neuro", limit=1) == found[:1]
    assert api.search_folders(actor=staff_user, text="  ") == ()
    assert api.search_folders(actor=outsider, text="glioma") == ()


# --- Changing folders -----------------------------------------------------------------------------


def test_a_folder_is_renamed_and_described(api: PostDicomApi, staff_user: User, outsider: User) -> None:
    offered(api, Capability.UPDATE_FOLDER)
    made = get_api().create_folder(actor=staff_user, name="Cardiology/2026")
    get_api().create_folder(actor=staff_user, name="Cardiology/2025")
    renamed = api.update_folder(actor=staff_user, folder_id=made.id, name="Año 2026", description="Ecocardiogramas")
    assert (renamed.name, renamed.description) == ("Año 2026", "Ecocardiogramas")
    assert [a.name for a in renamed.ancestors] == ["Cardiology"]
    with pytest.raises(InvalidInput) as refused:
        api.update_folder(actor=staff_user, folder_id=made.id, name="2025", description="")
    assert "name" in refused.value.field_errors
    with pytest.raises(NotFound):
        api.update_folder(actor=outsider, folder_id=made.id, name="Mine now", description="")


def test_a_folder_moves_with_everything_below_it(api: PostDicomApi, staff_user: User, outsider: User) -> None:
    offered(api, Capability.MOVE_FOLDER)
    march = get_api().create_folder(actor=staff_user, name="2026/March/Week 1")
    archive = get_api().create_folder(actor=staff_user, name="Archive")
    month = march.ancestors[1]
    moved = api.move_folder(actor=staff_user, folder_id=month.id, parent_id=archive.id)
    assert (moved.name, moved.parent_id, [a.name for a in moved.ancestors]) == ("March", archive.id, ["Archive"])
    assert [a.name for a in get_api().get_folder(actor=staff_user, folder_id=march.id).ancestors] == [
        "Archive",
        "March",
    ]
    top = api.move_folder(actor=staff_user, folder_id=month.id, parent_id=None)
    assert (top.parent_id, top.ancestors) == (None, ())
    with pytest.raises(InvalidInput) as refused:
        api.move_folder(actor=staff_user, folder_id=month.id, parent_id=march.id)
    assert "parent_id" in refused.value.field_errors
    with pytest.raises(NotFound):
        api.move_folder(actor=outsider, folder_id=month.id, parent_id=None)


def test_deleting_a_folder_keeps_its_orders(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.DELETE_FOLDER)
    inner = get_api().create_folder(actor=staff_user, name="Old/Older")
    order = create(staff_user, clinic)
    get_api().add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[inner.id])
    with pytest.raises(NotFound):
        api.delete_folder(actor=outsider, folder_id=inner.ancestors[0].id)
    api.delete_folder(actor=staff_user, folder_id=inner.ancestors[0].id)
    assert len(get_api().folder_tree(actor=staff_user)) == 0
    assert get_api().order_properties(actor=staff_user, order_id=order.id).summary.id == order.id
    with pytest.raises(NotFound):
        api.delete_folder(actor=staff_user, folder_id=inner.id)


# --- Orders in folders ----------------------------------------------------------------------------


def test_the_folders_an_order_is_filed_in(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.ORDER_FOLDERS)
    inner = get_api().create_folder(actor=staff_user, name="Docencia/Tórax")
    get_api().create_folder(actor=staff_user, name="Empty")
    order = create(staff_user, clinic)
    get_api().add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[inner.id, inner.ancestors[0].id])
    found = api.order_folders(actor=staff_user, order_id=order.id)
    assert [(f.name, [a.name for a in f.ancestors]) for f in found] == [("Docencia", []), ("Tórax", ["Docencia"])]
    assert [(f.order_count, f.parent_id) for f in found] == [(0, None), (0, inner.ancestors[0].id)]
    with pytest.raises(NotFound):
        api.order_folders(actor=outsider, order_id=order.id)


def test_orders_are_taken_out_of_a_folder(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.REMOVE_ORDERS_FROM_FOLDER)
    folder = get_api().create_folder(actor=staff_user, name="Review")
    first, second = create(staff_user, clinic), create(staff_user, clinic, patient_id="P-0002")
    get_api().add_order_to_folders(actor=staff_user, order_id=first.id, folder_ids=[folder.id])
    assert api.remove_orders_from_folder(actor=staff_user, folder_id=folder.id, order_ids=[first.id, second.id]) == 1
    assert get_api().list_folders(actor=staff_user, parent_id=folder.id, with_orders=True).orders == ()
    with pytest.raises(InvalidInput) as refused:
        api.remove_orders_from_folder(actor=staff_user, folder_id=folder.id, order_ids=[])
    assert "order_ids" in refused.value.field_errors
    with pytest.raises(NotFound):
        api.remove_orders_from_folder(actor=outsider, folder_id=folder.id, order_ids=[first.id])
