"""Folder endpoints: create, search, file an order, as PostDICOM's clients call them."""

from __future__ import annotations

import pytest

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.local.models import Folder
from postdicom.types import ShareAudience
from tests.postdicom.server.custom.conftest import call, new_order

pytestmark = pytest.mark.django_db


def _create(client, name, parent="", description=""):
    values = {"FolderName": name, "FolderDescription": description, "ParentFolderUuid": parent}
    return call(client, "createfolder", "CreateFolderParameters", values)


def _search(client, parent="", name="", with_orders=False):
    values = {"ParentFolderUuid": parent, "FolderName": name, "GetOrdersInFolder": with_orders}
    return call(client, "searchfolder", "SearchFolderParameters", values)


def test_create_folder_at_the_top_and_inside(staff_client, staff_user):
    response = _create(staff_client, "Cardiology/2026", description="Heart")
    assert response.status_code == 200, response.content
    body = response.json()
    made = Folder.objects.get(uuid=body["FolderUuid"])
    assert (made.name, made.description, made.owner) == ("2026", "Heart", staff_user)
    assert made.parent is not None
    assert made.parent.name == "Cardiology"
    assert body["Folder"]["ParentFolderUuid"] == str(made.parent.uuid)
    inner = _create(staff_client, "March", parent=body["FolderUuid"]).json()
    assert Folder.objects.get(uuid=inner["FolderUuid"]).parent == made


def test_the_all_zero_parent_is_the_top_level(staff_client):
    response = _create(staff_client, "Top", parent="00000000-0000-0000-0000-000000000000")
    assert response.status_code == 200
    assert Folder.objects.get(uuid=response.json()["FolderUuid"]).parent is None


def test_create_folder_refusals_name_the_parameter(staff_client, outsider_client):
    response = _create(staff_client, "")
    assert response.status_code == 400
    assert response.json()["Errors"] == {"FolderName": ["FolderName is required."]}
    _create(staff_client, "Twice")
    response = _create(staff_client, "Twice")
    assert response.status_code == 400
    assert list(response.json()["Errors"]) == ["FolderName"]
    mine = _create(staff_client, "Mine").json()["FolderUuid"]
    response = _create(outsider_client, "Inside", parent=mine)  # someone else's folder
    assert response.status_code == 404
    response = _create(staff_client, "x", parent="not-a-guid")
    assert list(response.json()["Errors"]) == ["ParentFolderUuid"]


def test_search_folder_lists_sub_folders_and_orders(staff_client, staff_user, clinic):
    top = get_api().create_folder(actor=staff_user, name="Cardiology")
    get_api().create_folder(actor=staff_user, name="2025", parent_id=top.id)
    get_api().create_folder(actor=staff_user, name="2026", parent_id=top.id)
    order = new_order(staff_user, clinic)
    get_api().add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[top.id])

    body = _search(staff_client).json()
    assert body["Success"] is True
    assert body["Folder"]["FolderUuid"] == "00000000-0000-0000-0000-000000000000"
    (listed,) = body["Folder"]["SubFolderList"]
    assert (listed["FolderName"], listed["SubFolderCount"], listed["OrderCount"]) == ("Cardiology", 2, 1)
    assert body["Folder"]["PatientOrderList"] == []

    body = _search(staff_client, parent=str(top.id), with_orders=True).json()
    assert [f["FolderName"] for f in body["Folder"]["SubFolderList"]] == ["2025", "2026"]
    assert [o["PatientOrderUuid"] for o in body["Folder"]["PatientOrderList"]] == [str(order.id)]
    body = _search(staff_client, parent=str(top.id), name="26").json()
    assert [f["FolderName"] for f in body["Folder"]["SubFolderList"]] == ["2026"]
    assert body["Folder"]["PatientOrderList"] == []  # GetOrdersInFolder "False"


def test_search_someone_elses_folder_is_404(outsider_client, staff_user):
    top = get_api().create_folder(actor=staff_user, name="Cardiology")
    response = _search(outsider_client, parent=str(top.id))
    assert response.status_code == 404
    assert response.json()["Errors"] == {"ParentFolderUuid": [response.json()["Message"]]}


def test_add_order_to_folders(staff_client, staff_user, clinic):
    a = get_api().create_folder(actor=staff_user, name="A")
    b = get_api().create_folder(actor=staff_user, name="B")
    order = new_order(staff_user, clinic)
    values = {"PatientOrderInstitutionUuid": clinic.uuid, "PatientOrderUuid": order.id, "FolderUuidList": [a.id, b.id]}
    response = call(staff_client, "addordertofolder", "AddOrderToFolderParameters", values)
    assert response.status_code == 200, response.content
    assert response.json()["AddedFolderCount"] == 2
    assert call(staff_client, "addordertofolder", "AddOrderToFolderParameters", values).json()["AddedFolderCount"] == 0


def test_add_order_to_folder_refusals(
    staff_client, outsider_client, limited_client, staff_user, limited_user, colleague_folder, clinic, other_clinic
):
    order = new_order(staff_user, clinic)
    mine = get_api().create_folder(actor=staff_user, name="A")
    values = {"PatientOrderUuid": order.id, "FolderUuidList": [mine.id]}
    # an order the caller cannot see, a folder that is not theirs
    refused = call(outsider_client, "addordertofolder", "AddOrderToFolderParameters", values)
    assert refused.status_code == 404
    # two ids given: the service's words say which was not found, for the request as a whole
    assert refused.json()["Errors"] == {"": [refused.json()["Message"]]}
    assert refused.json()["Message"]
    limited_folder = get_api().create_folder(actor=limited_user, name="Mine")
    limited_values = {"PatientOrderUuid": order.id, "FolderUuidList": [limited_folder.id]}
    assert call(limited_client, "addordertofolder", "AddOrderToFolderParameters", limited_values).status_code == 404
    # a folder shared to view only
    response = call(
        staff_client,
        "addordertofolder",
        "AddOrderToFolderParameters",
        {"PatientOrderUuid": order.id, "FolderUuidList": [colleague_folder.id]},
    )
    assert response.status_code == 403
    # the list is required; the institution must be the order's
    response = call(staff_client, "addordertofolder", "AddOrderToFolderParameters", {**values, "FolderUuidList": [""]})
    assert response.json()["Errors"] == {"FolderUuidList": ["FolderUuidList is required."]}
    response = call(
        staff_client,
        "addordertofolder",
        "AddOrderToFolderParameters",
        {**values, "PatientOrderInstitutionUuid": other_clinic.uuid},
    )
    assert response.status_code == 404


@pytest.fixture
def colleague_folder(clinic, staff_user):
    from postdicom.types import Role
    from tests.conftest import make_user

    colleague = make_user("cole", Role.STAFF, [clinic])
    folder = get_api().create_folder(actor=colleague, name="Shared")
    get_api().share_folder(
        actor=colleague, folder_id=folder.id, audience=ShareAudience(user_ids=(profile_of(staff_user).uuid,))
    )
    return folder
