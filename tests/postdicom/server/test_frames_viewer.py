"""Frames the viewer asks for that the first slice of DICOMweb got wrong: a deflated file
(its frames are decoded by the server) and uncompressed YBR_FULL_422 (two bytes a pixel)."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from tests.postdicom.server.test_retrieve import parts
from tests.uploads.conftest import upload
from tests.uploads.files import shipped

pytestmark = pytest.mark.django_db

ANY = "multipart/related; type=application/octet-stream; transfer-syntax=*"


def _stored(staff_user, clinic, tmp_path, name: str) -> tuple[str, pydicom.Dataset]:
    path = shipped(name)
    upload(staff_user, clinic, [path], tmp_path)
    ds = pydicom.dcmread(path)
    url = f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}"
    return url, ds


def test_a_deflated_files_frame_is_decoded(storage, staff_user, clinic, staff_client, tmp_path):
    url, ds = _stored(staff_user, clinic, tmp_path, "image_dfl.dcm")

    response = staff_client.get(f"{url}/frames/1", HTTP_ACCEPT=ANY)

    assert response.status_code == 200
    [(content_type, body)] = parts(response)
    assert "transfer-syntax=1.2.840.10008.1.2.1" in content_type
    expected = ds.pixel_array.astype(ds.pixel_array.dtype.newbyteorder("<")).tobytes()
    assert body == expected
    assert staff_client.get(f"{url}/frames/2", HTTP_ACCEPT=ANY).status_code == 404


def test_ybr_full_422_frames_are_two_bytes_a_pixel(storage, staff_user, clinic, staff_client, tmp_path):
    url, ds = _stored(staff_user, clinic, tmp_path, "SC_ybr_full_422_uncompressed.dcm")

    response = staff_client.get(f"{url}/frames/1", HTTP_ACCEPT=ANY)

    assert response.status_code == 200
    [(_, body)] = parts(response)
    assert len(body) == ds.Rows * ds.Columns * 2
    assert body == ds.PixelData[: len(body)]
    assert np.frombuffer(body, np.uint8).any()
