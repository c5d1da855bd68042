"""Every call of the HTTP API leaves an audit event naming the signed-in user and the client's
address: each custom endpoint and each of PostDICOM's flat DICOMweb paths, called with an
API key (so it is the key's user, not a session, that the trail names)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.local.models import AuditRecord
from tests.postdicom.server.conftest import order_of

pytestmark = pytest.mark.django_db

PASSWORD = "a long pass phrase 42"


@pytest.fixture
def scene(stored, staff_user, admin_user, limited_user):
    api = get_api()
    ct = stored["ct"]
    order = order_of(ct)
    folder = api.create_folder(actor=staff_user, name="Audited")
    group = api.create_user_group(actor=admin_user, name="Audited group")
    _key, secret = api.create_api_key(actor=admin_user, name="Bridge", user_id=profile_of(staff_user).uuid)
    pair = {"PatientOrderInstitutionUuid": str(order.institution.uuid), "PatientOrderUuid": str(order.uuid)}
    calls = {
        "createpatientorder": {
            "InstitutionUuid": str(order.institution.uuid),
            "PatientName": "DOE^JO",
            "PatientId": "P-9",
            "PatientBirthdate": "1970-01-01",
            "Modality": "CT",
        },
        "getpatientorderlist": {"PatientName": "", "ModalityList": '[""]'},
        "getpatientorderproperties": pair,
        "getdicomtagcontent": {**pair, "DicomTagIdList": '["00100010"]'},
        "addordertofolder": {"PatientOrderUuid": str(order.uuid), "FolderUuidList": json.dumps([str(folder.id)])},
        "assignordertouser": {
            "PatientOrderUuid": str(order.uuid),
            "AssignedUserUuid": str(profile_of(limited_user).uuid),
        },
        "assignordertousergroup": {"PatientOrderUuid": str(order.uuid), "AssignedUserGroupUuid": str(group.id)},
        "createfolder": {"FolderName": "New", "FolderDescription": "", "ParentFolderUuid": ""},
        "searchfolder": {"ParentFolderUuid": str(folder.id), "FolderName": "", "GetOrdersInFolder": "True"},
        "createsharelink": {
            "PatientOrderInfoList": json.dumps([json.dumps({"PatientOrderUuid": str(order.uuid)})]),
            "ExpireDate": "",
            "SharePassword": PASSWORD,
            "Downloadable": "False",
        },
        "sharepatientorderwithurl": {
            "OrderUuidList": json.dumps([str(order.uuid)]),
            "SharePassword": PASSWORD,
            "UserCanDownloadStudies": "true",
        },
        "sharefolderwithurl": {"FolderUuid": str(folder.id), "SharePassword": PASSWORD, "ShareTitle": "T"},
        "deleteorder": pair,
    }
    return ct, secret, calls


HEADERS = {
    "createpatientorder": "CreatePatientOrderParameters",
    "getpatientorderlist": "GetPatientOrderListParameters",
    "getpatientorderproperties": "GetPatientOrderPropertiesParameters",
    "getdicomtagcontent": "GetDicomTagContentParameters",
    "addordertofolder": "AddOrderToFolderParameters",
    "assignordertouser": "AssignOrderToUserParameters",
    "assignordertousergroup": "AssignOrderToUserGroupParameters",
    "createfolder": "CreateFolderParameters",
    "searchfolder": "SearchFolderParameters",
    "createsharelink": "ShareParameters",
    "sharepatientorderwithurl": "SharePatientOrderParameters",
    "sharefolderwithurl": "ShareFolderParameters",
    "deleteorder": "DeleteOrderParameters",
}


def _newest() -> int:
    return AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_every_custom_endpoint_is_audited_as_the_key_s_user(scene, staff_user):
    _ct, secret, calls = scene
    caller = Client(REMOTE_ADDR="198.51.100.23")
    assert list(calls) == list(HEADERS)  # deleteorder last: the order is gone after it
    unaudited = []
    for path, values in calls.items():
        before = _newest()
        headers = {"Authorization": f"Bearer {secret}", HEADERS[path]: json.dumps(values)}
        response = caller.get(f"/dicomweb/{path}", headers=headers)
        assert response.status_code == 200, (path, response.content)
        if not AuditRecord.objects.filter(id__gt=before, actor=staff_user, ip="198.51.100.23").exists():
            unaudited.append(path)
    assert unaudited == []


@pytest.mark.parametrize(
    "path",
    [
        "studies?00100020={patient}",
        "studies/series?0020000D={study}",
        "studies/series/instances?0020000E={series}",
        "studies/series/{series}",
        "studies/series/instances/{instance}",
        "studies/{study}/series/{series}/instances/{instance}",
        "studies/{study}/series/{series}/instances/{instance}/metadata",
    ],
)
def test_dicomweb_searches_and_single_instance_reads_are_audited_once(scene, staff_user, path):
    """QIDO-RS at every level and a single instance's file or metadata name the caller too:
    a script that walks PostDICOM's flat paths instance by instance leaves a trail (one
    event per study and way within ten minutes, not one per call)."""
    ct, secret, _calls = scene
    url = "/dicomweb/" + path.format(patient=ct.ds.PatientID, study=ct.study, series=ct.series, instance=ct.instance)
    caller = Client(REMOTE_ADDR="198.51.100.23")
    before = _newest()
    for _ in range(3):
        response = caller.get(url, headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 200, response.content[:300]
    # A study search and a whole series' files are one event per call (docs/decisions.md).
    each_call = path.startswith("studies?") or path == "studies/series/{series}"
    events = AuditRecord.objects.filter(id__gt=before)
    assert [(e.actor_id, e.ip) for e in events] == [(staff_user.pk, "198.51.100.23")] * (3 if each_call else 1)
