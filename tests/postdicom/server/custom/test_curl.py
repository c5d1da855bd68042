"""The custom endpoints called with ``curl`` against the running portal, exactly as
PostDICOM's documentation and example clients call PostDICOM: HTTP Basic with a user's name
and password (or an API key), GET, the parameters in the ``<Op>Parameters`` header."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.local.models import PatientOrder
from postdicom.types import OrderQuery
from tests.conftest import PASSWORD
from tests.missing import missing
from tests.postdicom.server.conftest import order_of
from tests.postdicom.server.custom.conftest import new_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _live_server_closes_its_connections(monkeypatch):
    """One connection per live-server thread would stay open and keep the test database from
    being dropped (see test_dicomweb_client)."""
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)


@pytest.fixture
def curl(live_server, tmp_path):
    if shutil.which("curl") is None:
        missing("curl is not installed (apt-get install curl).")

    def run(path: str, header: str, value: str | bytes, *options: str) -> tuple[int, dict[str, str], dict]:
        head = tmp_path / "head.txt"
        raw = value if isinstance(value, bytes) else value.encode()
        # A header given as bytes (UTF-8, as .NET sends an accented name) goes through a file.
        (tmp_path / "h.txt").write_bytes(header.encode() + b": " + raw + b"\n")
        done = subprocess.run(
            [
                "curl",
                "-sS",
                "-D",
                str(head),
                "-H",
                f"@{tmp_path / 'h.txt'}",
                *options,
                f"{live_server.url}/dicomweb/{path}",
            ],
            capture_output=True,
            check=True,
            timeout=60,
        )
        lines = Path(head).read_text("latin-1").splitlines()
        status = int(lines[0].split()[1])
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if ":" in line)
        }
        return status, headers, json.loads(done.stdout)

    return run


def basic(user) -> tuple[str, str]:
    return ("-u", f"{user.username}:{PASSWORD}")


def test_a_postdicom_client_creates_lists_and_reads_an_order(curl, staff_user, clinic):
    values = {
        "InstitutionUuid": str(clinic.uuid),
        "PatientName": "PE\u00d1A^MAR\u00cdA",  # \\u escapes, as json.dumps writes them
        "PatientId": "P-77",
        "OtherPatientId": "",
        "PatientSex": "F",
        "PatientBirthdate": "1975-03-09",
        "Modality": "MR",
        "StudyDescription": "",
        "AccessionNumber": "AN-77",
        "PatientComplaints": "",
        "OrderScheduledDatetime": "2026-12-01 08:30",
        "RequestedProcedureId": "",
        "RequestedProcedureDescription": "",
        "RequestingPhysician": "",
        "ReferringPhysiciansName": "",
        "ScheduledEquipmentUuid": "",
    }
    status, headers, body = curl(
        "createpatientorder", "CreatePatientOrderParameters", json.dumps(values), *basic(staff_user)
    )
    assert status == 200, body
    assert headers["content-type"].startswith("application/json")
    order = PatientOrder.objects.get(uuid=body["PatientOrderUuid"])
    assert order.patient_name == "PEÑA^MARÍA"

    listing = json.dumps(
        {
            "InstitutionUuidList": json.dumps([str(clinic.uuid)]),
            "PatientName": "peña",
            "PatientId": "",
            "OtherPatientId": "",
            "AccessionNumber": "",
            "ModalityList": json.dumps([""]),
            "StudyDateFrom": "2026-12-01",
            "StudyDateTo": "",
            "PatientBirthdateFrom": "",
            "PatientBirthdateTo": "",
        },
        ensure_ascii=False,
    ).encode()  # raw UTF-8 bytes in the header
    status, _headers, body = curl("getpatientorderlist", "GetPatientOrderListParameters", listing, *basic(staff_user))
    assert status == 200, body
    assert [o["PatientOrderUuid"] for o in body["SearchResultList"]] == [str(order.uuid)]

    pair = json.dumps({"PatientOrderInstitutionUuid": str(clinic.uuid), "PatientOrderUuid": str(order.uuid)})
    status, _headers, body = curl(
        "getpatientorderproperties", "GetPatientOrderPropertiesParameters", pair, *basic(staff_user)
    )
    assert status == 200
    assert body["PatientOrder"]["AccessionNumber"] == "AN-77"


def test_folders_with_an_api_key_as_bearer_and_as_the_basic_password(curl, staff_user, admin_user):
    _key, secret = get_api().create_api_key(actor=admin_user, name="Importer", user_id=profile_of(staff_user).uuid)
    made = json.dumps({"FolderName": "Cardiology/2026", "FolderDescription": "", "ParentFolderUuid": ""})
    status, _headers, body = curl(
        "createfolder", "CreateFolderParameters", made, "-H", f"Authorization: Bearer {secret}"
    )
    assert status == 200, body
    search = json.dumps({"ParentFolderUuid": "", "FolderName": "", "GetOrdersInFolder": "True"})
    status, _headers, body = curl("searchfolder", "SearchFolderParameters", search, "-u", f":{secret}")
    assert status == 200, body
    assert [f["FolderName"] for f in body["Folder"]["SubFolderList"]] == ["Cardiology"]
    assert body["Folder"]["SubFolderList"][0]["AllSubFolderCount"] == 1


def test_refusals_over_the_wire(curl, staff_user, outsider, clinic):
    order = new_order(staff_user, clinic)
    pair = json.dumps({"PatientOrderInstitutionUuid": str(clinic.uuid), "PatientOrderUuid": str(order.id)})
    status, headers, body = curl("deleteorder", "DeleteOrderParameters", pair, *basic(outsider))
    assert status == 404
    assert headers["x-error-reason"] == body["Message"]
    assert PatientOrder.objects.get(uuid=order.id).deleted_at is None

    status, headers, body = curl("deleteorder", "DeleteOrderParameters", pair, "-u", f"{staff_user.username}:wrong")
    assert status == 401
    assert headers["www-authenticate"].startswith("Basic")

    bad = json.dumps({"PatientOrderInstitutionUuid": "nowhere", "PatientOrderUuid": "nope"})
    status, headers, body = curl("deleteorder", "DeleteOrderParameters", bad, *basic(staff_user))
    assert status == 400
    assert set(body["Errors"]) == {"PatientOrderInstitutionUuid", "PatientOrderUuid"}
    assert headers["x-error-reason"].startswith("PatientOrderInstitutionUuid: ")

    share = json.dumps(
        {
            "PatientOrderInfoList": json.dumps([json.dumps({"PatientOrderUuid": str(order.id)})]),
            "ExpireDate": "2027-01-31",
            "SharePassword": "a long pass phrase 42",
            "Downloadable": "False",
        }
    )
    status, headers, body = curl("createsharelink", "ShareParameters", share, *basic(staff_user))
    assert status == 200, body
    assert "/s/" in body["ShareUrl"]

    status, _headers, body = curl("deleteorder", "DeleteOrderParameters", pair, *basic(staff_user))
    assert status == 200, body
    assert PatientOrder.objects.get(uuid=order.id).deleted_at is not None


def test_the_other_endpoints_as_the_csharp_and_node_clients_send_them(
    curl, staff_user, admin_user, limited_user, stored
):
    """AddOrderToFolder, the two assignments, the two URL shares and GetDicomTagContent over
    the wire: lists as JSON text inside a string, booleans as C# ("True") and Node ("false")
    write them, blanks as "" and ``[""]``, an accented title as raw UTF-8."""
    api = get_api()
    ct = stored["ct"]
    order = order_of(ct)
    folder = api.create_folder(actor=staff_user, name="Echo")
    as_sam = basic(staff_user)

    added = json.dumps({"PatientOrderUuid": str(order.uuid), "FolderUuidList": json.dumps([str(folder.id), ""])})
    status, _headers, body = curl("addordertofolder", "AddOrderToFolderParameters", added, *as_sam)
    assert status == 200, body
    assert [o.id for o in api.search_orders(actor=staff_user, query=OrderQuery(folder_id=folder.id)).items] == [
        order.uuid
    ]

    to_user = json.dumps({"PatientOrderUuid": str(order.uuid), "AssignedUserUuid": str(profile_of(limited_user).uuid)})
    status, _headers, body = curl("assignordertouser", "AssignOrderToUserParameters", to_user, *as_sam)
    assert status == 200, body
    assert [o.id for o in api.search_orders(actor=limited_user, query=OrderQuery()).items] == [order.uuid]
    group = api.create_user_group(actor=admin_user, name="Night shift")
    to_group = json.dumps({"PatientOrderUuid": str(order.uuid), "AssignedUserGroupUuid": str(group.id)})
    status, _headers, body = curl("assignordertousergroup", "AssignOrderToUserGroupParameters", to_group, *as_sam)
    assert status == 200, body
    assert [g.id for g in api.order_properties(actor=staff_user, order_id=order.uuid).assigned_groups] == [group.id]

    by_url = json.dumps(
        {
            "OrderUuidList": json.dumps([str(order.uuid)]),
            "ExpireDate": "",
            "SharePassword": "a long pass phrase 42",
            "UserCanDownloadStudies": "true",  # as the Node client writes it
        }
    )
    status, _headers, body = curl("sharepatientorderwithurl", "SharePatientOrderParameters", by_url, *as_sam)
    assert status == 200, body
    assert "/s/" in body["ShareUrl"]
    folder_share = json.dumps(
        {
            "FolderUuid": str(folder.id),
            "SharePassword": "a long pass phrase 42",
            "ShareTitle": "Para la Dra. Ibáñez",
            "ShareDescription": "",
            "ExpireDate": "2027-01-31",
            "UserCanDownloadStudies": "False",
        },
        ensure_ascii=False,
    ).encode()
    status, _headers, body = curl("sharefolderwithurl", "ShareFolderParameters", folder_share, *as_sam)
    assert status == 200, body
    shares = {s.title: s for s in api.list_shares(actor=staff_user).items}
    assert shares["Para la Dra. Ibáñez"].downloadable is False
    assert len(shares) == 2

    tags = json.dumps(
        {
            "PatientOrderInstitutionUuid": str(order.institution.uuid),
            "PatientOrderUuid": str(order.uuid),
            "PatientSeriesUuid": "",
            "DicomTagIdList": json.dumps(["00100010", "0008,0060"]),
        }
    )
    status, _headers, body = curl("getdicomtagcontent", "GetDicomTagContentParameters", tags, *as_sam)
    assert status == 200, body
    [series] = body["SeriesList"]
    assert [t["Value"] for t in series["DicomTagList"]] == [str(ct.ds.PatientName), ct.ds.Modality]

    # The limited user the order was assigned to may read it, but not file it into others' folders.
    status, headers, body = curl("addordertofolder", "AddOrderToFolderParameters", added, *basic(limited_user))
    assert status in (403, 404), body
    assert headers["x-error-reason"] == body["Message"]
