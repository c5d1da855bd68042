"""QIDO-RS through the Django test client: matching keys, paging, includefield, errors."""

from __future__ import annotations

import pytest

from postdicom.local.models import InstanceRecord
from tests.postdicom.server.conftest import FILES
from tests.uploads.conftest import upload
from tests.uploads.files import make_image

pytestmark = pytest.mark.django_db


def _studies(client, **params):
    response = client.get("/dicomweb/studies", params, HTTP_ACCEPT="application/dicom+json")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/dicom+json"
    return response.json()


def _uids(results, tag="0020000D"):
    return {r[tag]["Value"][0] for r in results}


def test_all_studies_with_their_attributes(stored, staff_client):
    results = _studies(staff_client)
    assert _uids(results) == {s.study for s in stored.values()}
    ct = next(r for r in results if r["0020000D"]["Value"][0] == stored["ct"].study)
    assert ct["00100010"] == {"vr": "PN", "Value": [{"Alphabetic": "CompressedSamples^CT1"}]}
    assert ct["00100020"]["Value"] == ["1CT1"]
    assert ct["00080020"] == {"vr": "DA", "Value": ["20040119"]}
    assert ct["00080061"]["Value"] == ["CT"]
    assert ct["00201206"]["Value"] == [1]
    assert ct["00201208"]["Value"] == [1]
    assert ct["00081190"]["Value"] == [f"http://testserver/dicomweb/studies/{stored['ct'].study}"]
    assert "00081030" not in ct  # optional: only with includefield
    assert response_cache(staff_client) == "private, no-cache"


def response_cache(client):
    return client.get("/dicomweb/studies")["Cache-Control"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"PatientName": "compressedsamples^ct1"}, {"ct"}),
        ({"PatientName": "CompressedSamples^*"}, {"ct", "mr", "j2k"}),
        ({"00100010": "Compressed?amples^MR?"}, {"mr"}),
        ({"PatientName": "Lestrade*"}, {"jpeg_lossless"}),
        ({"PatientID": "1CT1"}, {"ct"}),
        ({"StudyDate": "20040119"}, {"ct"}),
        ({"StudyDate": "20040101-20041231"}, {"ct", "mr", "j2k"}),
        ({"StudyDate": "20160101-"}, {"jpeg_frames", "jpeg_lossless"}),
        ({"StudyDate": "-20031231"}, {"rle_frames"}),
        ({"ModalitiesInStudy": "MR"}, {"mr"}),
        ({"ModalitiesInStudy": "MR,US"}, {"mr", "jpeg_frames"}),
        ({"AccessionNumber": "nothing-has-this"}, set()),
    ],
)
def test_matching_keys(stored, staff_client, params, expected):
    assert _uids(_studies(staff_client, **params)) == {stored[key].study for key in expected}


def test_study_uid_list_and_paging(stored, staff_client):
    wanted = [stored["ct"].study, stored["mr"].study, stored["rle_frames"].study]
    assert _uids(_studies(staff_client, StudyInstanceUID=",".join(wanted))) == set(wanted)
    first = _studies(staff_client, limit=2)
    rest = _studies(staff_client, limit=10, offset=2)
    assert len(first) == 2
    assert _uids(first) | _uids(rest) == {s.study for s in stored.values()}
    assert not _uids(first) & _uids(rest)


def test_includefield(stored, staff_client):
    described = _studies(staff_client, StudyInstanceUID=stored["ct"].study, includefield="StudyDescription")
    assert "00081030" in described[0]
    everything = _studies(staff_client, StudyInstanceUID=stored["ct"].study, includefield="all")
    assert "00081030" in everything[0]


def test_series_and_instances_of_a_study(stored, staff_client):
    item = stored["jpeg_frames"]
    series = staff_client.get(f"/dicomweb/studies/{item.study}/series").json()
    assert [s["0020000E"]["Value"][0] for s in series] == [item.series]
    assert series[0]["00080060"]["Value"] == ["US"]
    assert series[0]["00201209"]["Value"] == [1]
    assert staff_client.get(f"/dicomweb/studies/{item.study}/series", {"Modality": "CT"}).json() == []
    instances = staff_client.get(
        f"/dicomweb/studies/{item.study}/series/{item.series}/instances", {"includefield": "00083002"}
    ).json()
    assert instances[0]["00080018"]["Value"] == [item.instance]
    assert instances[0]["00280008"]["Value"] == [30]
    assert instances[0]["00083002"]["Value"] == ["1.2.840.10008.1.2.4.50"]
    assert (
        staff_client.get(f"/dicomweb/studies/{item.study}/instances").json()[0]["00080018"] == instances[0]["00080018"]
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"StudyDate": "2004-01-19"}, "StudyDate"),
        ({"StudyDate": "20041341"}, "StudyDate"),
        ({"limit": "0"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"NotAnAttribute": "x"}, "NotAnAttribute"),
        ({"StudyInstanceUID": "1.2.x"}, "StudyInstanceUID"),
        ({"includefield": "Nonsense"}, "includefield"),
    ],
)
def test_bad_queries_say_what_is_wrong(stored, staff_client, params, field):
    response = staff_client.get("/dicomweb/studies", params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]
    assert response["X-Error-Reason"]


def test_an_attribute_that_cannot_be_matched_is_named_in_a_warning(stored, staff_client):
    response = staff_client.get("/dicomweb/studies", {"StudyTime": "120000"})
    assert response.status_code == 200
    assert "StudyTime" in response["Warning"]
    assert len(response.json()) == len(FILES)


def test_xml_is_not_offered(stored, staff_client):
    assert staff_client.get("/dicomweb/studies", HTTP_ACCEPT="application/dicom+xml").status_code == 406


def test_messages_in_spanish(stored, client, staff_client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    assert client.get("/dicomweb/studies").json() == {
        "error": "Inicie sesión, o envíe un nombre de usuario y una contraseña o una clave de API."
    }
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    response = staff_client.get("/dicomweb/studies", {"StudyDate": "2004-01-19"})
    assert response.json() == {"error": "Escriba las fechas como AAAAMMDD, por ejemplo 20260131."}
    assert staff_client.get("/dicomweb/studies/1.2.3/series").json() == {"error": "Ese estudio no existe."}


def test_counts_and_modalities_of_stored_instances_only(storage, staff_user, clinic, tmp_path, staff_client):
    study = "1.2.826.0.1.3680043.8.498.77"
    images = [
        make_image(tmp_path / "a.dcm", study_uid=study, series_uid=f"{study}.1", modality="CT"),
        make_image(tmp_path / "b.dcm", study_uid=study, series_uid=f"{study}.1", modality="CT"),
        make_image(tmp_path / "c.dcm", study_uid=study, series_uid=f"{study}.2", modality="MR"),
        make_image(tmp_path / "d.dcm", study_uid=study, series_uid=f"{study}.3", modality="PT"),
    ]
    upload(staff_user, clinic, images, tmp_path)
    # An instance still being stored (claimed by an upload, file not written) is not counted.
    InstanceRecord.objects.filter(series__series_uid=f"{study}.3").update(stored=False)
    [found] = staff_client.get("/dicomweb/studies", {"StudyInstanceUID": study}).json()
    assert found["00080061"]["Value"] == ["CT", "MR"]
    assert found["00201206"]["Value"] == [2]
    assert found["00201208"]["Value"] == [3]
    series = staff_client.get(f"/dicomweb/studies/{study}/series").json()
    assert [(s["0020000E"]["Value"][0], s["00201209"]["Value"][0]) for s in series] == [
        (f"{study}.1", 2),
        (f"{study}.2", 1),
    ]
