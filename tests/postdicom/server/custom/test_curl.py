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
from tests.conftest import PASSWORD
from tests.missing import missing
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
