"""GetDicomTagContent on real stored files: the tags asked for, per series, as each persona."""

from __future__ import annotations

import pytest

from postdicom.local.models import AuditRecord, SeriesRecord
from postdicom.server.custom.tags import parse_tag
from tests.postdicom.server.conftest import order_of
from tests.postdicom.server.custom.conftest import call

H = "GetDicomTagContentParameters"


@pytest.mark.parametrize("text", ["00100010", "0010,0010", "(0010,0010)", "x00100010", "0x00100010", "PatientName"])
def test_tag_spellings(text):
    assert parse_tag(text) == 0x00100010


def test_unknown_tags_are_none():
    assert parse_tag("NotAKeyword") is None
    assert parse_tag("0010") is None


def _values(order, **changes):
    values = {
        "PatientOrderInstitutionUuid": order.institution.uuid,
        "PatientOrderUuid": order.uuid,
        "PatientSeriesUuid": "",
        "DicomTagIdList": ["00100010", "0008,0060", "SeriesInstanceUID"],
    }
    values.update(changes)
    return values


@pytest.fixture
def ct(stored):
    return stored["ct"]


def test_tag_content_of_every_series_of_the_order(staff_client, ct):
    order = order_of(ct)
    response = call(staff_client, "getdicomtagcontent", H, _values(order))
    assert response.status_code == 200, response.content
    body = response.json()
    (series,) = body["SeriesList"]
    assert series["SeriesInstanceUid"] == ct.series
    assert series["SopInstanceUid"] == ct.instance
    tags = {t["TagId"]: t for t in series["DicomTagList"]}
    assert list(tags) == ["00100010", "00080060", "0020000E"]
    assert tags["00100010"]["Value"] == str(ct.ds.PatientName)
    assert tags["00100010"]["TagName"] == "PatientName"
    assert tags["00100010"]["VR"] == "PN"
    assert tags["00080060"]["Value"] == ct.ds.Modality
    assert tags["0020000E"]["Value"] == ct.series
    assert AuditRecord.objects.filter(action="order.dicomweb_metadata", target_id=str(order.uuid)).exists()


def test_one_series_and_every_tag(staff_client, ct):
    order = order_of(ct)
    series = SeriesRecord.objects.get(series_uid=ct.series, study__order=order)
    response = call(
        staff_client, "getdicomtagcontent", H, _values(order, PatientSeriesUuid=series.uuid, DicomTagIdList=[""])
    )
    assert response.status_code == 200
    (listed,) = response.json()["SeriesList"]
    assert listed["PatientSeriesUuid"] == str(series.uuid)
    names = {t["TagName"] for t in listed["DicomTagList"]}
    assert {"PatientName", "StudyInstanceUID", "Rows", "Columns"} <= names
    assert "PixelData" not in names


def test_tag_content_refusals(staff_client, outsider_client, limited_client, other_clinic, ct):
    order = order_of(ct)
    assert call(outsider_client, "getdicomtagcontent", H, _values(order)).status_code == 404
    assert call(limited_client, "getdicomtagcontent", H, _values(order)).status_code == 404
    wrong = _values(order, PatientOrderInstitutionUuid=other_clinic.uuid)
    assert call(staff_client, "getdicomtagcontent", H, wrong).status_code == 404
    response = call(staff_client, "getdicomtagcontent", H, _values(order, DicomTagIdList=["PatientName", "Nope"]))
    assert response.status_code == 400
    assert response.json()["Errors"] == {"DicomTagIdList": ["Not a DICOM tag: Nope."]}
    response = call(
        staff_client, "getdicomtagcontent", H, _values(order, PatientSeriesUuid="1f0e3a9c-2b4d-4c6e-8f0a-1b2c3d4e5f60")
    )
    assert response.status_code == 404
    assert "PatientSeriesUuid" in response["X-Error-Reason"]
