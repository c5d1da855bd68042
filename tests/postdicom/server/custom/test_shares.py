"""Share endpoints: written against the contract's share methods; a backend that cannot share
by link answers 501 with its reason (the local backend today), one that can answers the link."""

from __future__ import annotations

import datetime as dt
import json
from uuid import uuid4

import pytest

from postdicom import get_api
from postdicom.local.backend import LocalBackend
from postdicom.types import Share
from tests.postdicom.server.custom.conftest import call, new_order

pytestmark = pytest.mark.django_db


def _link_values(order_ids, **changes):
    values = {
        "PatientOrderInfoList": json.dumps([json.dumps({"PatientOrderUuid": str(i)}) for i in order_ids]),
        "ExpireDate": "2027-01-31",
        "SharePassword": "s3cret-pass",
        "Downloadable": "False",
    }
    values.update(changes)
    return values


def test_share_endpoints_answer_501_with_the_reason_until_the_backend_shares(staff_client, staff_user, clinic):
    order = new_order(staff_user, clinic)
    folder = get_api().create_folder(actor=staff_user, name="A")
    calls = [
        ("createsharelink", "ShareParameters", _link_values([order.id])),
        (
            "sharepatientorderwithurl",
            "SharePatientOrderParameters",
            {
                "OrderUuidList": [str(order.id)],
                "ExpireDate": "",
                "SharePassword": "p",
                "UserCanDownloadStudies": "True",
            },
        ),
        (
            "sharefolderwithurl",
            "ShareFolderParameters",
            {
                "FolderUuid": str(folder.id),
                "SharePassword": "p",
                "ShareTitle": "t",
                "ShareDescription": "d",
                "ExpireDate": "2027-01-31",
                "UserCanDownloadStudies": "False",
            },
        ),
    ]
    for path, header, values in calls:
        response = call(staff_client, path, header, values)
        assert response.status_code == 501, (path, response.content)
        assert response["X-Error-Reason"]
        assert response.json()["Success"] is False


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
        return Share(id=uuid4(), url="https://rayport.test/s/abc", expires=kwargs["expires"], downloadable=True)

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
    assert (kwargs["order_ids"], kwargs["password"], kwargs["expires"], kwargs["downloadable"]) == (
        (a, b),
        "s3cret-pass",
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
    assert (kwargs["folder_id"], kwargs["password"], kwargs["title"], kwargs["downloadable"]) == (
        folder_id,
        "p",
        "Title",
        True,
    )
