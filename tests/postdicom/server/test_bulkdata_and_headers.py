"""Kept headers (``postdicom.local.images.headers``) and bulk data retrieve
(``postdicom.server.bulkdata``): what the viewer's speed rests on, checked against the files."""

from __future__ import annotations

import email.message
import email.parser
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pydicom.encaps import generate_frames

from postdicom.dicom import described
from postdicom.local.images import headers
from postdicom.local.models import InstanceHeaderRecord, InstanceRecord
from tests.postdicom.server import scoped_urls
from tests.postdicom.server.conftest import order_of
from tests.postdicom.server.test_retrieve import parts

pytestmark = pytest.mark.django_db

BULK = 'multipart/related; type="application/octet-stream"; transfer-syntax=*'
OCTETS = 'multipart/related; type="application/octet-stream"'


def bulk_parts(response) -> list[tuple[dict[str, str], bytes]]:
    """Each part's headers and body, checking that Content-Length is the body's length."""
    body = b"".join(response.streaming_content)
    raw = f"Content-Type: {response['Content-Type']}\r\n\r\n".encode() + body
    message = email.parser.BytesParser().parsebytes(raw)
    assert message.is_multipart()
    found = []
    for part in message.get_payload():
        assert isinstance(part, email.message.Message)
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        assert int(part["Content-Length"]) == len(payload)
        found.append(({k.lower(): str(v) for k, v in part.items()}, payload))
    return found


def _file_metadata(item) -> dict:
    with open(item.path, "rb") as handle:
        return json.loads(described.describe(handle, item.ds.file_meta.TransferSyntaxUID).json)


def test_ingest_keeps_every_header(stored):
    rows = InstanceRecord.objects.filter(stored=True)
    assert InstanceHeaderRecord.objects.count() == rows.count() == len(stored)
    ct = InstanceHeaderRecord.objects.get(instance__sop_instance_uid=stored["ct"].instance)
    ds = stored["ct"].ds
    assert ct.pixels_at is not None
    with open(stored["ct"].path, "rb") as handle:
        handle.seek(ct.pixels_at)
        assert handle.read(ct.frame_size) == ds.PixelData
    assert (ct.frames, ct.frame_size) == (1, ds.Rows * ds.Columns * 2)
    jpeg = InstanceHeaderRecord.objects.get(instance__sop_instance_uid=stored["jpeg_frames"].instance)
    assert (jpeg.frames, jpeg.frame_size) == (30, 0)  # encapsulated: found through its offset table


def test_metadata_comes_from_the_kept_headers(stored, staff_client, monkeypatch):
    item = stored["ct"]
    expected = _file_metadata(item)
    # No file is read for it, and the answer is the one read from the file.
    monkeypatch.setattr(headers, "describe", lambda *a: pytest.fail("a file was read"))
    monkeypatch.setattr("postdicom.server.retrieve.describe", lambda *a: pytest.fail("a file was read"))
    answer = staff_client.get(f"/dicomweb/studies/{item.study}/series/{item.series}/metadata")
    (got,) = json.loads(b"".join(answer.streaming_content))
    frames = f"http://testserver{item.url}/frames/1"
    assert got.pop("7FE00010") == {"vr": "OW", "BulkDataURI": frames}
    expected.pop("7FE00010")
    assert got == expected
    assert got["00280010"]["Value"] == [item.ds.Rows]


def test_a_missing_or_stale_header_is_read_and_kept(stored, staff_client):
    item = stored["mr"]
    InstanceHeaderRecord.objects.filter(instance__sop_instance_uid=item.instance).delete()
    other = stored["ct"]
    InstanceHeaderRecord.objects.filter(instance__sop_instance_uid=other.instance).update(
        source="stale", json='{"00100010":{"vr":"PN","Value":[{"Alphabetic":"WRONG"}]}}'
    )
    for one in (item, other):
        answer = staff_client.get(f"{one.url}/metadata")
        (got,) = json.loads(b"".join(answer.streaming_content))
        assert got["00080018"]["Value"] == [one.instance]
        assert "WRONG" not in json.dumps(got)
        kept = InstanceHeaderRecord.objects.get(instance__sop_instance_uid=one.instance)
        assert kept.source == InstanceRecord.objects.get(sop_instance_uid=one.instance).sha256


def test_a_frame_reads_no_header(stored, staff_client, monkeypatch):
    monkeypatch.setattr(
        "postdicom.server.pixels.dicom_frames.locate_pixels", lambda *a: pytest.fail("the header was parsed")
    )
    item = stored["ct"]
    with CaptureQueriesContext(connection) as queries:
        [(_c, body)] = parts(staff_client.get(f"{item.url}/frames/1"))
    assert body == item.ds.PixelData
    assert not [q for q in queries.captured_queries if "instanceheader" in q["sql"].lower() and "INSERT" in q["sql"]]
    jpeg = stored["jpeg_frames"]
    got = parts(staff_client.get(f"{jpeg.url}/frames/2,30", HTTP_ACCEPT=BULK))
    assert [b for _c, b in got] == list(generate_frames(jpeg.ds.PixelData, number_of_frames=30))[1::28]


def test_series_as_bulk_data(stored, staff_client, limited_client, outsider_client):
    item = stored["jpeg_frames"]
    path = f"/dicomweb/studies/{item.study}/series/{item.series}"
    answer = staff_client.get(path, HTTP_ACCEPT=BULK)
    assert answer.status_code == 200
    assert answer.streaming
    assert answer["Content-Type"].startswith('multipart/related; type="application/octet-stream"; boundary=')
    got = bulk_parts(answer)
    expected = list(generate_frames(item.ds.PixelData, number_of_frames=30))
    assert [body for _h, body in got] == expected
    assert [h["content-location"] for h, _b in got] == [f"http://testserver{item.url}/frames/{n}" for n in range(1, 31)]
    assert {h["content-type"] for h, _b in got} == {"application/octet-stream; transfer-syntax=1.2.840.10008.1.2.4.50"}
    # Without transfer-syntax=* the frames come decoded, as /frames gives them.
    decoded = bulk_parts(staff_client.get(path, HTTP_ACCEPT=OCTETS))
    assert decoded[1][1] == item.ds.pixel_array[1].tobytes()
    assert decoded[1][0]["content-type"] == "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"
    # The same visibility as every read, and DICOM files stay the default.
    assert limited_client.get(path, HTTP_ACCEPT=BULK).status_code == 404
    assert outsider_client.get(path, HTTP_ACCEPT=BULK).status_code == 404
    dicom = staff_client.get(path)
    assert dicom["Content-Type"].startswith('multipart/related; type="application/dicom"')
    assert staff_client.get(path, HTTP_ACCEPT=f'{OCTETS}, multipart/related; type="application/dicom"')[
        "Content-Type"
    ].startswith('multipart/related; type="application/octet-stream"')


def test_study_bulk_data_and_conditional_get(stored, staff_client):
    ct = stored["ct"]
    study = f"/dicomweb/studies/{ct.study}"
    answer = staff_client.get(study, HTTP_ACCEPT=BULK)
    got = bulk_parts(answer)
    instances = {h["content-location"].split("/instances/")[1].split("/")[0] for h, _b in got}
    assert ct.instance in instances
    [(_h, body)] = [(h, b) for h, b in got if ct.instance in h["content-location"]]
    assert body == ct.ds.PixelData
    again = staff_client.get(study, HTTP_ACCEPT=BULK, HTTP_IF_NONE_MATCH=answer["ETag"])
    assert again.status_code == 304
    assert staff_client.get(study, HTTP_IF_NONE_MATCH=answer["ETag"]).status_code == 200  # DICOM is another answer


def test_a_missing_file_is_left_out_of_bulk_data(stored, staff_client):
    from postdicom.local.uploads.storage import file_storage

    ct = stored["ct"]
    file_storage().delete(InstanceRecord.objects.get(sop_instance_uid=ct.instance).file_name)
    answer = staff_client.get(f"/dicomweb/studies/{ct.study}/series/{ct.series}", HTTP_ACCEPT=BULK)
    assert answer.status_code == 200
    body = b"".join(answer.streaming_content)
    assert b"Content-Location" not in body
    assert body.endswith(b"--\r\n")


@pytest.mark.urls("tests.postdicom.server.scoped_urls")
def test_bulk_data_under_a_token_names_frames_under_it(stored, client, staff_user):
    ct = stored["ct"]
    scoped_urls.GRANTS.clear()
    scoped_urls.GRANTS["abc"] = (staff_user, [order_of(ct).uuid])
    try:
        path = f"/t/abc/dicomweb/studies/{ct.study}/series/{ct.series}"
        [(part, body)] = bulk_parts(client.get(path, HTTP_ACCEPT=BULK))
        assert part["content-location"] == f"http://testserver/t/abc{ct.url}/frames/1"
        assert body == ct.ds.PixelData
        mr = stored["mr"]
        other = f"/t/abc/dicomweb/studies/{mr.study}/series/{mr.series}"
        assert client.get(other, HTTP_ACCEPT=BULK).status_code == 404
    finally:
        scoped_urls.GRANTS.clear()


def test_bulk_data_nothing_can_be_sent_as_asked_is_406(stored, staff_client):
    from postdicom.dicom.frames import can_decode

    item = stored["jpeg_lossless"]
    path = f"/dicomweb/studies/{item.study}/series/{item.series}"
    decoded_only = staff_client.get(path, HTTP_ACCEPT=OCTETS)  # no transfer-syntax=*: decoded or nothing
    assert decoded_only.status_code == (200 if can_decode("1.2.840.10008.1.2.4.70") else 406)
    assert staff_client.get(path, HTTP_ACCEPT=BULK).status_code == 200
