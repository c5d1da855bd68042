"""The cloud backend's folder reads over a mocked wire: how many SearchFolder calls place a
folder in its tree (``get_folder``, ``order_folders``), and the all-zero GUID."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import User

from postdicom.cloud import CloudBackend
from postdicom.errors import NotFound

TOP, LEFT, RIGHT, ORDER = (uuid.UUID(int=n) for n in (1, 2, 3, 4))
#: id → (name, parent): "Тор" with "b-Left" and "A-Right" below it.
TREE = {TOP: ("Тор", None), LEFT: ("b-Left", TOP), RIGHT: ("A-Right", TOP)}


def _folder(folder_id: uuid.UUID) -> dict[str, Any]:
    name, parent = TREE[folder_id]
    return {
        "FolderUuid": str(folder_id),
        "FolderName": name,
        "FolderDescription": "",
        "ParentFolderUuid": str(parent) if parent else "",
        "OrderCount": 2,
        "SubFolderCount": 2 if folder_id == TOP else 0,
        "SubFolderList": [],
        "PatientOrderList": [],
    }


class Server:
    """SearchFolder and GetPatientOrderProperties on ``TREE``; ``asked`` lists the operations."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        operation = request.url.path.rsplit("/", 1)[-1]
        self.asked.append(operation)
        if operation == "searchfolder":
            wanted = uuid.UUID(json.loads(request.headers["SearchFolderParameters"])["ParentFolderUuid"])
            if wanted not in TREE:
                return httpx.Response(404, json={"Success": False, "Message": "No such folder."})
            return httpx.Response(200, json={"Success": True, "Message": "", "Folder": _folder(wanted)})
        assert operation == "getpatientorderproperties"
        held = [{"FolderUuid": str(f), "FolderName": TREE[f][0]} for f in (LEFT, RIGHT)]
        order = {"PatientOrderUuid": str(ORDER), "PatientOrderInstitutionUuid": str(TOP), "FolderList": held}
        return httpx.Response(200, json={"Success": True, "Message": "", "PatientOrder": order})


@pytest.fixture
def reader(db: None) -> User:
    return User.objects.create_user("rita", password="x")


def _backend(server: Server) -> CloudBackend:
    return CloudBackend(base_url="http://server.test/dicomweb/", api_key="rpk_k", transport=httpx.MockTransport(server))


def test_a_folder_is_placed_in_its_tree_one_call_per_level(reader: User) -> None:
    server = Server()
    found = _backend(server).get_folder(actor=reader, folder_id=LEFT)
    assert (found.name, found.parent_id, found.order_count) == ("b-Left", TOP, 2)
    assert [(a.id, a.name) for a in found.ancestors] == [(TOP, "Тор")]
    assert server.asked == ["searchfolder", "searchfolder"]


def test_the_all_zero_guid_is_no_folder_and_asks_nothing(reader: User) -> None:
    server = Server()
    with pytest.raises(NotFound):
        _backend(server).get_folder(actor=reader, folder_id=uuid.UUID(int=0))
    assert server.asked == []


def test_an_orders_folders_by_path_a_shared_ancestor_asked_once(reader: User) -> None:
    server = Server()
    found = _backend(server).order_folders(actor=reader, order_id=ORDER)
    assert [f.path_label for f in found] == ["Тор / A-Right", "Тор / b-Left"]
    assert [f.order_count for f in found] == [0, 0]
    assert server.asked == ["getpatientorderproperties", "searchfolder", "searchfolder", "searchfolder"]
