"""DICOMweb from an S3-compatible bucket (moto's server over HTTP): files are streamed and
frames cut out with ranged reads, as from local disk."""

from __future__ import annotations

import pydicom
import pytest
from pydicom.encaps import generate_frames

from tests.postdicom.server.test_retrieve import parts
from tests.uploads.conftest import upload, upload_dirs  # noqa: F401  (fixture)
from tests.uploads.files import shipped
from tests.uploads.test_s3_storage import bucket, s3_endpoint  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def test_retrieve_frames_and_pictures_from_a_bucket(bucket, staff_user, clinic, tmp_path, staff_client):  # noqa: F811
    client, name = bucket
    path = shipped("examples_ybr_color.dcm")
    upload(staff_user, clinic, [path], tmp_path)
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=name)["Contents"])
    assert len(keys) == 2  # the file, and its study's thumbnail drawn after the batch
    assert "/thumbnails/" in keys[1]
    ds = pydicom.dcmread(path)
    url = f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}"
    [(_type, body)] = parts(staff_client.get(f"/dicomweb/studies/{ds.StudyInstanceUID}"))
    assert body == path.read_bytes()
    expected = list(generate_frames(ds.PixelData, number_of_frames=30))
    assert [b for _t, b in parts(staff_client.get(f"{url}/frames/2,29"))] == [expected[1], expected[28]]
    rendered = staff_client.get(f"{url}/frames/10/rendered")
    assert rendered.status_code == 200
    assert rendered.content.startswith(b"\xff\xd8")
    metadata = staff_client.get(f"{url}/metadata")
    assert b'"00280008"' in b"".join(metadata.streaming_content)


def test_orders_download_from_a_bucket(bucket, staff_user, clinic, tmp_path, staff_client):  # noqa: F811
    """The ZIP of an order whose files are in the bucket: read in pieces with ranged GETs."""
    import io
    import zipfile

    from postdicom.local.models import StudyRecord

    _client, _name = bucket
    paths = [shipped("examples_ybr_color.dcm"), shipped("CT_small.dcm")]
    upload(staff_user, clinic, paths, tmp_path)
    order = StudyRecord.objects.select_related("order").get(study_uid=pydicom.dcmread(paths[1]).StudyInstanceUID).order
    response = staff_client.get(f"/orders/{order.uuid}/download/")
    assert response.status_code == 200
    bundle = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert bundle.testzip() is None
    images = [n for n in bundle.namelist() if n.startswith("DICOM/")]
    assert [bundle.read(n) for n in images] == [paths[1].read_bytes()]
    assert bundle.namelist()[0] == "DICOMDIR"
