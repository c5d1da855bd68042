"""The portal's DICOMweb read by a real client: ``dicomweb-client`` against the live server,
signed in with a session cookie, as a script or the viewer would read it."""

from __future__ import annotations

import pydicom
import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from django.conf import settings
from django.test import Client
from pydicom.encaps import generate_frames

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _live_server_closes_its_connections(monkeypatch):
    """The live server answers each request in a new thread: with persistent connections
    (``CONN_MAX_AGE``) each thread would leave one open, and the test database could not be
    dropped at the end. The connection settings are the dict Django made its connections
    from, so new ones see the change."""
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)


def _client(live_server, user=None) -> DICOMwebClient:
    session = requests.Session()
    if user is not None:
        browser = Client()
        browser.force_login(user)
        session.cookies.set(settings.SESSION_COOKIE_NAME, browser.cookies[settings.SESSION_COOKIE_NAME].value)
    return DICOMwebClient(url=f"{live_server.url}/dicomweb", session=session)


def _status(error: requests.HTTPError) -> int:
    assert error.response is not None
    return error.response.status_code


def test_search_retrieve_and_frames(live_server, stored, staff_user):
    client = _client(live_server, staff_user)
    studies = client.search_for_studies(search_filters={"PatientName": "CompressedSamples*"})
    assert {s["0020000D"]["Value"][0] for s in studies} == {stored[k].study for k in ("ct", "mr", "j2k")}
    everything = client.search_for_studies(get_remaining=True, search_filters={"limit": 2})
    assert len(everything) == len(stored)

    item = stored["jpeg_frames"]
    [series] = client.search_for_series(item.study)
    assert series["0020000E"]["Value"] == [item.series]
    [instance] = client.search_for_instances(item.study, item.series, fields=["AvailableTransferSyntaxUID"])
    assert instance["00083002"]["Value"] == ["1.2.840.10008.1.2.4.50"]

    ds = client.retrieve_instance(item.study, item.series, item.instance)
    assert ds.SOPInstanceUID == item.instance
    assert ds.PixelData == item.ds.PixelData
    [whole] = client.retrieve_study(item.study)
    assert whole.PixelData == item.ds.PixelData
    [meta] = client.retrieve_series_metadata(item.study, item.series)
    assert pydicom.Dataset.from_json(meta, bulk_data_uri_handler=lambda *a: b"").Rows == 240

    expected = list(generate_frames(item.ds.PixelData, number_of_frames=30))
    assert client.retrieve_instance_frames(item.study, item.series, item.instance, [1, 30]) == [
        expected[0],
        expected[29],
    ]
    ct = stored["ct"]
    octets = (("application/octet-stream", "1.2.840.10008.1.2.1"),)
    assert client.retrieve_instance_frames(ct.study, ct.series, ct.instance, [1], media_types=octets) == [
        ct.ds.PixelData
    ]
    decoded = client.retrieve_instance_frames(item.study, item.series, item.instance, [4], media_types=octets)
    assert decoded == [item.ds.pixel_array[3].tobytes()]
    rle = stored["rle_frames"]
    assert client.retrieve_instance_frames(
        rle.study, rle.series, rle.instance, [2], media_types=(("image/dicom-rle", "1.2.840.10008.1.2.5"),)
    ) == [list(generate_frames(rle.ds.PixelData, number_of_frames=15))[1]]

    picture = client.retrieve_instance_rendered(ct.study, ct.series, ct.instance, media_types=("image/png",))
    assert picture.startswith(b"\x89PNG")
    window = client.retrieve_instance_frames_rendered(
        ct.study, ct.series, ct.instance, [1], media_types=("image/jpeg",), params={"window": "40,400,linear"}
    )
    assert window.startswith(b"\xff\xd8")


def test_what_a_user_may_not_see_is_not_there(live_server, stored, outsider, limited_user):
    item = stored["ct"]
    for user in (outsider, limited_user):
        client = _client(live_server, user)
        assert client.search_for_studies() == []
        with pytest.raises(requests.HTTPError) as raised:
            client.retrieve_instance(item.study, item.series, item.instance)
        assert _status(raised.value) == 404
        with pytest.raises(requests.HTTPError) as raised:
            client.search_for_series(item.study)
        assert _status(raised.value) == 404
    with pytest.raises(requests.HTTPError) as raised:
        _client(live_server).search_for_studies()
    assert _status(raised.value) == 401
