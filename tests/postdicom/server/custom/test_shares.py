"""Share endpoints: written against the contract's share methods; a backend that cannot share
by link answers 501 with its reason (the local backend today), one that can answers the link."""

from __future__ import annotations

import datetime as dt
import inspect
import json
from uuid import uuid4

import pytest

from postdicom import get_api
from postdicom.local.backend import LocalBackend
from postdicom.types import Share
from tests.postdicom.server.custom.conftest import call, new_order

pytestmark = pytest.mark.django_db

PASSWORD = "a long pass phrase 42"


def _link_values(order_ids, **changes):
    values = {
        "PatientOrderInfoList": json.dumps([json.dumps({"PatientOrderUuid": str(i)}) for i in order_ids]),
        "ExpireDate": "2027-01-31",
        "SharePassword": PASSWORD,
        "Downloadable": "False",
    }
    values.update(changes)
    return values


def test_the_share_endpoints_make_links_that_open(staff_client, staff_user, clinic, client):
    order = new_order(staff_user, clinic)
    folder = get_api().create_folder(actor=staff_user, name="A")
    calls = [
        ("createsharelink", "ShareParameters", _link_values([order.id])),
        (
            "sharepatientorderwithurl",
            "SharePatientOrderParameters",
            {
                "OrderUuidList": json.dumps([str(order.id)]),
                "ExpireDate": "",
                "SharePassword": PASSWORD,
                "UserCanDownloadStudies": "True",
            },
        ),
        (
            "sharefolderwithurl",
            "ShareFolderParameters",
            {
                "FolderUuid": str(folder.id),
                "SharePassword": PASSWORD,
                "ShareTitle": "For Dr. Ibáñez",
                "ShareDescription": "Before Friday",
                "ExpireDate": "2027-01-31",
                "UserCanDownloadStudies": "False",
            },
        ),
    ]
    for path, header, values in calls:
        response = call(staff_client, path, header, values)
        assert response.status_code == 200, (path, response.content)
        body = response.json()
        assert body["Success"] is True
        assert client.get(body["ShareUrl"]).status_code == 200  # the door, asking for the password
    shares = get_api().list_shares(actor=staff_user).items
    assert len(shares) == 3
    assert {s.title for s in shares} >= {"For Dr. Ibáñez"}


def test_a_weak_password_is_refused_naming_the_parameter(staff_client, staff_user, clinic):
    order = new_order(staff_user, clinic)
    response = call(staff_client, "createsharelink", "ShareParameters", _link_values([order.id], SharePassword="pw"))
    assert response.status_code == 400
    assert "SharePassword" in response.json()["Errors"]


def test_share_parameters_are_checked_first(staff_client):
    response = call(staff_client, "createsharelink", "ShareParameters", _link_values([], ExpireDate="31.01.2027"))
    assert response.status_code == 400
    assert set(response.json()["Errors"]) == {"PatientOrderInfoList", "ExpireDate"}
    response = call(
        staff_client,
        "sharefolderwithurl",
        "ShareFolderParameters",
        {"FolderUuid": "", "UserCanDownloadStudies": "yes!"},
    )
    assert set(response.json()["Errors"]) == {"FolderUuid", "UserCanDownloadStudies"}


def test_a_backend_that_shares_gets_the_parsed_values_and_the_link_is_answered(staff_client, monkeypatch):
    seen = {}

    def share_orders(self, **kwargs):
        seen["orders"] = kwargs
        options = kwargs["options"]
        return Share(id=uuid4(), url="https://rayport.test/s/abc", expires=options.expires, downloadable=True)

    def share_folder(self, **kwargs):
        seen["folder"] = kwargs
        return (Share(id=uuid4(), url="https://rayport.test/s/def"),)

    monkeypatch.setattr(LocalBackend, "share_orders", share_orders, raising=False)
    monkeypatch.setattr(LocalBackend, "share_folder", share_folder)
    a, b = uuid4(), uuid4()
    response = call(staff_client, "createsharelink", "ShareParameters", _link_values([a, b], Downloadable="True"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["Success"], body["ShareUrl"], body["ExpireDate"]) == (True, "https://rayport.test/s/abc", "2027-01-31")
    kwargs = seen["orders"]
    options = kwargs["options"]
    assert kwargs["audience"].link
    assert (kwargs["order_ids"], options.password, options.expires, options.downloadable) == (
        (a, b),
        PASSWORD,
        dt.date(2027, 1, 31),
        True,
    )
    folder_id = uuid4()
    response = call(
        staff_client,
        "sharefolderwithurl",
        "ShareFolderParameters",
        {"FolderUuid": str(folder_id), "SharePassword": "p", "ShareTitle": "Title", "UserCanDownloadStudies": "true"},
    )
    assert response.json()["ShareUrl"] == "https://rayport.test/s/def"
    kwargs = seen["folder"]
    assert kwargs["audience"].link
    assert not kwargs["audience"].accounts
    options = kwargs["options"]
    assert (kwargs["folder_id"], options.password, options.title, options.downloadable) == (
        folder_id,
        "p",
        "Title",
        True,
    )


def test_the_configured_backend_takes_every_argument_the_share_endpoints_pass():
    """The endpoints call ``share_orders`` and ``share_folder`` with an audience and options: a
    backend whose methods lack them would fail with a TypeError (a 500)."""
    backend = get_api()
    inspect.signature(backend.share_orders).bind(actor=None, order_ids=(), audience=None, options=None)
    inspect.signature(backend.share_folder).bind(actor=None, folder_id=uuid4(), audience=None, options=None)
