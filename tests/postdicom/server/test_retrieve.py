"""WADO-RS through the Django test client: who may read what, the bodies, caching, audit."""

from __future__ import annotations

import email.message
import email.parser
import gzip
import io
import json
import tracemalloc

import pydicom
import pytest
from PIL import Image
from pydicom.encaps import generate_frames

from postdicom import get_api
from postdicom.local.models import AuditRecord
from tests.postdicom.server.conftest import order_of
from tests.uploads.conftest import upload
from tests.uploads.files import make_image

pytestmark = pytest.mark.django_db


def parts(response) -> list[tuple[str, bytes]]:
    """The (content type, body) of each part of a multipart/related response."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    raw = f"Content-Type: {response['Content-Type']}\r\n\r\n".encode() + body
    message = email.parser.BytesParser().parsebytes(raw)
    assert message.is_multipart(), response["Content-Type"]
    found = []
    for part in message.get_payload():
        assert isinstance(part, email.message.Message)
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found.append((str(part.get("Content-Type")), payload))
    return found


def _paths(item):
    study = f"/dicomweb/studies/{item.study}"
    series = f"{study}/series/{item.series}"
    return {
        "study": study,
        "study_metadata": f"{study}/metadata",
        "study_series": f"{study}/series",
        "series": series,
        "series_metadata": f"{series}/metadata",
        "series_instances": f"{series}/instances",
        "instance": item.url,
        "instance_metadata": f"{item.url}/metadata",
        "frames": f"{item.url}/frames/1",
        "rendered": f"{item.url}/rendered",
        "frame_rendered": f"{item.url}/frames/1/rendered",
        "thumbnail": f"{item.url}/thumbnail",
    }


def test_every_role(
    stored, client, staff_client, admin_client, limited_client, outsider_client, limited_user, staff_user
):
    item = stored["ct"]
    for name, path in _paths(item).items():
        anonymous = client.get(path)
        assert anonymous.status_code == 401, name
        assert anonymous.json()["error"] == "Sign in, or send a user name and password or an API key."
        assert outsider_client.get(path).status_code == 404, name
        assert limited_client.get(path).status_code == 404, name
        assert staff_client.get(path).status_code == 200, name
        assert admin_client.get(path).status_code == 200, name
        # POST to a study is STOW-RS (415 for a form body); nowhere else is POST taken.
        assert staff_client.post(path).status_code == (415 if name == "study" else 405), name
    assert outsider_client.get("/dicomweb/studies").json() == []
    assert limited_client.get("/dicomweb/studies").json() == []
    # Assigned, the limited user reads it, and only it.
    get_api().assign_order(actor=staff_user, order_id=order_of(item).uuid, user_id=limited_user.profile.uuid)
    assert [r["0020000D"]["Value"][0] for r in limited_client.get("/dicomweb/studies").json()] == [item.study]
    for name, path in _paths(item).items():
        assert limited_client.get(path).status_code == 200, name
    assert limited_client.get(_paths(stored["mr"])["study"]).status_code == 404


def test_a_deleted_order_is_gone(stored, staff_client, staff_user):
    item = stored["mr"]
    get_api().delete_order(actor=staff_user, order_id=order_of(item).uuid)
    for name, path in _paths(item).items():
        assert staff_client.get(path).status_code == 404, name
    assert item.study not in {r["0020000D"]["Value"][0] for r in staff_client.get("/dicomweb/studies").json()}


def test_unknown_uids_are_404(stored, staff_client):
    item = stored["ct"]
    assert staff_client.get("/dicomweb/studies/1.2.3").status_code == 404
    assert staff_client.get(f"/dicomweb/studies/{item.study}/series/1.2.3").status_code == 404
    assert staff_client.get(f"/dicomweb/studies/{item.study}/series/{item.series}/instances/1.2.3").status_code == 404
    # A series of another study is not found under this one.
    other = stored["mr"]
    assert staff_client.get(f"/dicomweb/studies/{item.study}/series/{other.series}").status_code == 404


def test_retrieve_streams_the_stored_files(stored, staff_client):
    item = stored["jpeg_frames"]
    response = staff_client.get(
        f"/dicomweb/studies/{item.study}", HTTP_ACCEPT='multipart/related; type="application/dicom"'
    )
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith('multipart/related; type="application/dicom"; boundary=')
    [(content_type, body)] = parts(response)
    assert content_type == "application/dicom; transfer-syntax=1.2.840.10008.1.2.4.50"
    with open(item.path, "rb") as original:
        assert body == original.read()


def test_retrieve_in_another_transfer_syntax_is_not_acceptable(stored, staff_client):
    item = stored["ct"]
    accept = 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.50'
    assert staff_client.get(item.url, HTTP_ACCEPT=accept).status_code == 406
    same = 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1'
    assert staff_client.get(item.url, HTTP_ACCEPT=same).status_code == 200
    assert staff_client.get(item.url, HTTP_ACCEPT="text/html").status_code == 406


def test_conditional_get(stored, staff_client):
    item = stored["ct"]
    first = staff_client.get(item.url)
    assert first["Cache-Control"] == "private, max-age=300"
    assert first["Last-Modified"]
    etag = first["ETag"]
    again = staff_client.get(item.url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag
    since = staff_client.get(item.url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    study = staff_client.get(f"/dicomweb/studies/{item.study}")
    assert study["Cache-Control"] == "private, no-cache"
    assert staff_client.get(f"/dicomweb/studies/{item.study}", HTTP_IF_NONE_MATCH=study["ETag"]).status_code == 304
    frame = staff_client.get(f"{item.url}/frames/1")
    assert staff_client.get(f"{item.url}/frames/1", HTTP_IF_NONE_MATCH=frame["ETag"]).status_code == 304
    assert frame["ETag"] != etag


def test_series_and_instance_metadata(stored, staff_client):
    item = stored["ct"]
    response = staff_client.get(f"/dicomweb/studies/{item.study}/series/{item.series}/metadata")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/dicom+json"
    [meta] = json.loads(b"".join(response.streaming_content))
    assert meta["00100010"] == {"vr": "PN", "Value": [{"Alphabetic": "CompressedSamples^CT1"}]}
    assert meta["00280030"] == {"vr": "DS", "Value": [0.661468, 0.661468]}
    assert meta["7FE00010"] == {"vr": "OW", "BulkDataURI": f"http://testserver{item.url}/frames/1"}
    single = staff_client.get(f"{item.url}/metadata", HTTP_ACCEPT="application/json")
    assert single["Content-Type"] == "application/json"
    assert json.loads(b"".join(single.streaming_content)) == [meta]
    assert staff_client.get(f"{item.url}/metadata", HTTP_ACCEPT="application/dicom+xml").status_code == 406


def test_json_answers_are_gzipped_for_clients_that_accept_it(stored, staff_client):
    """Searches and metadata (repetitive DICOM JSON) go gzipped to a client that says it takes
    gzip, with ``Vary: Accept-Encoding``; the same JSON as sent plain. A weak ETag (the
    compressed form's) still gets a 304. Pixel data and pictures are not compressed here."""
    item = stored["ct"]
    series = f"/dicomweb/studies/{item.study}/series/{item.series}"
    for path in (f"{series}/metadata", f"{series}/instances", f"/dicomweb/studies?StudyInstanceUID={item.study}"):
        plain = staff_client.get(path)
        zipped = staff_client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert not plain.has_header("Content-Encoding"), path
        assert zipped["Content-Encoding"] == "gzip", path
        assert {"Accept", "Cookie", "Accept-Encoding"} <= set(zipped["Vary"].split(", ")), path
        body = b"".join(zipped.streaming_content) if zipped.streaming else zipped.content
        assert json.loads(gzip.decompress(body)) == json.loads(b"".join(plain) if plain.streaming else plain.content)
    metadata = staff_client.get(f"{series}/metadata", HTTP_ACCEPT_ENCODING="gzip")
    assert metadata["ETag"].startswith('W/"')
    again = staff_client.get(f"{series}/metadata", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=metadata["ETag"])
    assert again.status_code == 304
    for path in (item.url, f"{item.url}/frames/1", f"{item.url}/rendered"):
        assert not staff_client.get(path, HTTP_ACCEPT_ENCODING="gzip").has_header("Content-Encoding"), path


def test_metadata_body(stored, staff_client):
    item = stored["jpeg_frames"]
    response = staff_client.get(f"/dicomweb/studies/{item.study}/metadata")
    [meta] = json.loads(b"".join(response.streaming_content))
    assert meta["00080018"]["Value"] == [item.instance]
    assert meta["00280010"]["Value"] == [240]
    assert meta["00280008"]["Value"] == [30]
    assert meta["00083002"]["Value"] == ["1.2.840.10008.1.2.4.50"]
    assert "InlineBinary" not in meta["7FE00010"]
    frames = ",".join(str(n) for n in range(1, 31))
    assert meta["7FE00010"]["BulkDataURI"] == f"http://testserver{item.url}/frames/{frames}"


def test_reads_of_a_study_or_series_are_audited_once_frames_are_not(stored, staff_client, staff_user):
    item = stored["ct"]
    order = order_of(item)
    before = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first()
    staff_client.get(f"/dicomweb/studies/{item.study}")
    staff_client.get(f"/dicomweb/studies/{item.study}/series/{item.series}/metadata")
    for _ in range(3):
        staff_client.get(f"{item.url}/frames/1")
        staff_client.get(f"{item.url}/rendered")
        staff_client.get(item.url)
    rows = list(
        AuditRecord.objects.filter(id__gt=before)
        .order_by("id")
        .values_list("action", "target_id", "actor_id", "detail")
    )
    assert [(a, t, u) for a, t, u, _d in rows] == [
        ("order.dicomweb_retrieve", str(order.uuid), staff_user.pk),
        ("order.dicomweb_metadata", str(order.uuid), staff_user.pk),
    ]
    assert rows[0][3] == {"study_uid": item.study, "series_uid": "", "instances": 1}
    assert rows[1][3]["series_uid"] == item.series


def test_uncompressed_frames(stored, staff_client):
    item = stored["ct"]
    response = staff_client.get(f"{item.url}/frames/1")
    assert response["Content-Type"].startswith('multipart/related; type="application/octet-stream"')
    [(content_type, body)] = parts(response)
    assert content_type == "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"
    assert body == item.ds.PixelData


def test_compressed_frames_in_their_own_syntax(stored, staff_client):
    item = stored["jpeg_frames"]
    expected = list(generate_frames(item.ds.PixelData, number_of_frames=30))
    response = staff_client.get(f"{item.url}/frames/3,30", HTTP_ACCEPT='multipart/related; type="image/jpeg"')
    got = parts(response)
    assert [c for c, _b in got] == ["image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50"] * 2
    assert [b for _c, b in got] == [expected[2], expected[29]]
    anything = parts(staff_client.get(f"{item.url}/frames/1", HTTP_ACCEPT="*/*"))
    assert anything == [("image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50", expected[0])]
    star = 'multipart/related; type="application/octet-stream"; transfer-syntax=*'
    assert parts(staff_client.get(f"{item.url}/frames/1", HTTP_ACCEPT=star))[0][1] == expected[0]
    rle = stored["rle_frames"]
    [(content_type, body)] = parts(staff_client.get(f"{rle.url}/frames/15"))
    assert content_type == "image/dicom-rle; transfer-syntax=1.2.840.10008.1.2.5"
    assert body == list(generate_frames(rle.ds.PixelData, number_of_frames=15))[14]


def test_compressed_frames_decoded_when_asked_uncompressed(stored, staff_client):
    octets = 'multipart/related; type="application/octet-stream"'
    item = stored["jpeg_frames"]
    [(content_type, body)] = parts(staff_client.get(f"{item.url}/frames/2", HTTP_ACCEPT=octets))
    assert content_type == "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"
    assert body == item.ds.pixel_array[1].tobytes()
    rle = stored["rle_frames"]
    [(_c, body)] = parts(staff_client.get(f"{rle.url}/frames/7", HTTP_ACCEPT=octets))
    assert body == rle.ds.pixel_array[6].astype("<u4").tobytes()


def test_no_decoder_is_406_unless_the_own_syntax_is_accepted(stored, staff_client):
    from postdicom.dicom.frames import can_decode

    item = stored["jpeg_lossless"]
    octets = 'multipart/related; type="application/octet-stream"'
    response = staff_client.get(f"{item.url}/frames/1", HTTP_ACCEPT=octets)
    assert response.status_code == (200 if can_decode("1.2.840.10008.1.2.4.70") else 406)
    own = staff_client.get(f"{item.url}/frames/1", HTTP_ACCEPT=f"{octets}; transfer-syntax=*")
    assert own.status_code == 200
    assert parts(own)[0][1] == next(generate_frames(item.ds.PixelData, number_of_frames=1))
    if not can_decode("1.2.840.10008.1.2.4.70"):
        assert staff_client.get(f"{item.url}/rendered").status_code == 406


def test_frames_out_of_range(stored, staff_client):
    item = stored["jpeg_frames"]
    assert staff_client.get(f"{item.url}/frames/31").status_code == 404
    assert staff_client.get(f"{item.url}/frames/0").status_code == 400
    assert staff_client.get(f"{item.url}/frames/a").status_code == 404  # not a frame list: no such URL


def _image(response):
    assert response.status_code == 200, response.content
    return Image.open(io.BytesIO(response.content))


def test_rendered_and_thumbnail(stored, staff_client):
    item = stored["ct"]
    jpeg = _image(staff_client.get(f"{item.url}/rendered"))
    assert (jpeg.format, jpeg.size, jpeg.mode) == ("JPEG", (128, 128), "L")
    png = _image(staff_client.get(f"{item.url}/rendered", HTTP_ACCEPT="image/png"))
    assert png.format == "PNG"
    bone = _image(staff_client.get(f"{item.url}/rendered", {"window": "500,2000"}, HTTP_ACCEPT="image/png"))
    lung = _image(staff_client.get(f"{item.url}/rendered", {"window": "-600,1500,sigmoid"}, HTTP_ACCEPT="image/png"))
    assert bone.tobytes() != lung.tobytes() != png.tobytes()
    small = _image(staff_client.get(f"{item.url}/thumbnail", {"viewport": "64,32"}))
    assert small.size == (32, 32)
    colour = _image(staff_client.get(f"{stored['jpeg_frames'].url}/frames/5/rendered"))
    assert (colour.mode, colour.size) == ("RGB", (320, 240))
    thumb = _image(staff_client.get(f"{stored['jpeg_frames'].url}/thumbnail"))
    assert thumb.size == (128, 96)
    assert _image(staff_client.get(f"{stored['j2k'].url}/rendered")).size == (256, 1024)


@pytest.mark.parametrize(
    "params",
    [{"window": "40"}, {"window": "40,0"}, {"window": "40,400,cubic"}, {"viewport": "0,10"}, {"quality": "101"}],
)
def test_bad_rendering_parameters(stored, staff_client, params):
    response = staff_client.get(f"{stored['ct'].url}/rendered", params)
    assert response.status_code == 400
    assert response.json()["error"]


def test_rendered_in_an_unknown_format_is_406(stored, staff_client):
    assert staff_client.get(f"{stored['ct'].url}/rendered", HTTP_ACCEPT="image/gif").status_code == 406


def test_a_large_file_is_streamed_not_loaded(storage, staff_user, clinic, tmp_path, staff_client):
    big = make_image(tmp_path / "big.dcm", rows=3000, columns=3000)  # 18 MB of pixels
    upload(staff_user, clinic, [big], tmp_path)
    ds = pydicom.dcmread(big, stop_before_pixels=True)
    response = staff_client.get(f"/dicomweb/studies/{ds.StudyInstanceUID}")
    size = 0
    tracemalloc.start()
    try:
        for piece in response.streaming_content:
            size += len(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size > big.stat().st_size
    assert peak < 2 * 1024 * 1024, peak


def test_a_file_missing_from_storage(stored, staff_client, storage):
    item = stored["ct"]
    (path,) = (storage / "media").rglob(f"{item.instance}.dcm")
    path.unlink()
    for suffix in ("", "/metadata", "/frames/1", "/rendered", "/thumbnail"):
        response = staff_client.get(f"{item.url}{suffix}")
        assert response.status_code == 404, suffix
        assert response.json() == {"error": "The image's file is missing."}
    # The study leaves it out (logged) rather than failing.
    study = staff_client.get(f"/dicomweb/studies/{item.study}", HTTP_ACCEPT="*/*")
    boundary = study["Content-Type"].rpartition("boundary=")[2]
    assert b"".join(study.streaming_content) == f"--{boundary}--\r\n".encode()


def test_head(stored, client, staff_client):
    item = stored["ct"]
    response = staff_client.head(item.url)
    assert response.status_code == 200
    assert response["ETag"]
    assert client.head(item.url).status_code == 401


def test_many_frames(storage, staff_user, clinic, tmp_path, staff_client):
    path = make_image(tmp_path / "cine.dcm", rows=2, columns=3)
    ds = pydicom.dcmread(path)
    ds.NumberOfFrames = 300
    ds.PixelData = bytes(range(256)) * 7 + bytes(300 * 2 * 3 * 2 - 256 * 7)
    ds.save_as(path, enforce_file_format=True)
    upload(staff_user, clinic, [path], tmp_path)
    url = f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}"
    [meta] = json.loads(b"".join(staff_client.get(f"{url}/metadata").streaming_content))
    assert meta["7FE00010"]["BulkDataURI"] == f"http://testserver{url}"  # 300 numbers would not fit a request line
    frames = parts(staff_client.get(f"{url}/frames/1,2,300"))
    assert [body for _type, body in frames] == [ds.PixelData[0:12], ds.PixelData[12:24], ds.PixelData[-12:]]
