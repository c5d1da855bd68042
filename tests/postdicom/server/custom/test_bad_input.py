"""Bad input never makes a 500 (issue 9, item 9), for every parameter of every custom endpoint:
each is given, in turn, values no PostDICOM client would send (the same list as
tests/test_bad_input.py, plus JSON of the wrong type) while the others stay valid."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from django.urls import resolve

from postdicom import get_api
from postdicom.local.access import profile_of
from tests.postdicom.server.custom.test_wire_names import POSTDICOM
from tests.test_bad_input import BAD_VALUES

pytestmark = pytest.mark.django_db

WRONG_TYPES: list[Any] = [None, 12, True, [], ["x"], {"a": 1}, [{"PatientOrderUuid": 5}], "[1, 2"]


@pytest.fixture
def valid(staff_user, admin_user, clinic, order) -> dict[str, dict[str, Any]]:
    api = get_api()
    folder = api.create_folder(actor=staff_user, name="Cardiology")
    group = api.create_user_group(actor=admin_user, name="Echo")
    pair = {"PatientOrderInstitutionUuid": str(clinic.uuid), "PatientOrderUuid": str(order.id)}
    return {
        "createpatientorder": {
            "InstitutionUuid": str(clinic.uuid),
            "PatientName": "PEREZ^JUAN",
            "PatientId": "P-77",
            "PatientBirthdate": "1975-03-09",
            "Modality": "MR",
            "OrderScheduledDatetime": "2026-12-01 08:30",
        },
        "getpatientorderlist": {"PatientName": "garcia", "ModalityList": '["CT"]', "StudyDateFrom": "2026-01-01"},
        "getpatientorderproperties": pair,
        "deleteorder": pair,
        "createfolder": {"FolderName": "New", "ParentFolderUuid": str(folder.id)},
        "searchfolder": {"ParentFolderUuid": str(folder.id), "GetOrdersInFolder": "True"},
        "addordertofolder": {**pair, "FolderUuidList": json.dumps([str(folder.id)])},
        "assignordertouser": {"PatientOrderUuid": str(order.id), "AssignedUserUuid": str(profile_of(staff_user).uuid)},
        "assignordertousergroup": {"PatientOrderUuid": str(order.id), "AssignedUserGroupUuid": str(group.id)},
        "createsharelink": {"PatientOrderInfoList": json.dumps([json.dumps({"PatientOrderUuid": str(order.id)})])},
        "sharepatientorderwithurl": {"OrderUuidList": json.dumps([str(order.id)])},
        "sharefolderwithurl": {"FolderUuid": str(folder.id)},
        "getdicomtagcontent": {**pair, "DicomTagIdList": '["PatientName"]'},
    }


@pytest.mark.parametrize("path", sorted(POSTDICOM))
def test_no_value_makes_a_server_error(staff_client, valid, path):
    spec = resolve(f"/dicomweb/{path}").func.spec  # type: ignore[attr-defined]
    failures = []
    for param in spec.params:
        for value in [*BAD_VALUES, *WRONG_TYPES]:
            header = json.dumps({**valid[path], param.name: value})
            try:
                with transaction.atomic():
                    response = staff_client.get(f"/dicomweb/{path}", headers={spec.header: header})
                    transaction.set_rollback(True)
            except Exception as error:  # the list of failures is the point
                failures.append(f"{param.name}={str(value)[:30]!r}: {type(error).__name__}: {str(error)[:120]}")
                continue
            if response.status_code >= 500 and response.status_code != 501:
                failures.append(f"{param.name}={str(value)[:30]!r}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_the_valid_values_work(staff_client, valid):
    """The base the test above varies is itself accepted (else it would test only refusals)."""
    for path, values in valid.items():
        header = POSTDICOM[path]
        with transaction.atomic():
            response = staff_client.get(f"/dicomweb/{path}", headers={header: json.dumps(values)})
            transaction.set_rollback(True)
        assert response.status_code == 200, (path, response.content)
