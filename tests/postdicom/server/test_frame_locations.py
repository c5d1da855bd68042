"""Where no kept header says where the pixel data is (a backend that keeps none), a frame
request reads the file's header once per file and process: later frames of the same file (or
the same frame again) cut the bytes out from the remembered place, and still check who may
see them on every request. (With a kept header nothing is read: test_bulkdata_and_headers.)"""

from __future__ import annotations

import pydicom
import pytest

from postdicom import get_api
from postdicom.dicom import frames as dicom_frames
from postdicom.server import pixels
from tests.postdicom.server.test_frames_viewer import _stored
from tests.postdicom.server.test_retrieve import parts

pytestmark = pytest.mark.django_db

NATIVE = "multipart/related; type=application/octet-stream"


@pytest.fixture
def parses(monkeypatch):
    monkeypatch.setattr(pixels, "kept_location", lambda stored, item: None)
    pixels.forget_pixel_locations()
    seen: list[int] = []
    original = dicom_frames.locate_pixels

    def counted(handle):
        seen.append(1)
        return original(handle)

    monkeypatch.setattr(dicom_frames, "locate_pixels", counted)
    yield seen
    pixels.forget_pixel_locations()


def _frame(ds: pydicom.Dataset, index: int) -> bytes:
    array = ds.pixel_array if int(ds.get("NumberOfFrames", 1) or 1) == 1 else ds.pixel_array[index]
    return array.astype(array.dtype.newbyteorder("<")).tobytes()


def test_the_header_is_read_once_per_file(storage, staff_user, clinic, staff_client, tmp_path, parses):
    url, ds = _stored(staff_user, clinic, tmp_path, "CT_small.dcm")
    for _ in range(3):
        response = staff_client.get(f"{url}/frames/1", HTTP_ACCEPT=NATIVE)
        assert response.status_code == 200
        [(_type, body)] = parts(response)
        assert body == _frame(ds, 0)
    assert len(parses) == 1
    # Another file: its own header.
    other, mr = _stored(staff_user, clinic, tmp_path, "MR_small.dcm")
    [(_type, body)] = parts(staff_client.get(f"{other}/frames/1", HTTP_ACCEPT=NATIVE))
    assert body == _frame(mr, 0)
    assert len(parses) == 2


def test_every_frame_of_a_multiframe_file_from_one_reading(storage, staff_user, clinic, staff_client, tmp_path, parses):
    url, ds = _stored(staff_user, clinic, tmp_path, "rtdose.dcm")
    frames = int(ds.NumberOfFrames)
    for number in range(1, frames + 1):
        [(_type, body)] = parts(staff_client.get(f"{url}/frames/{number}", HTTP_ACCEPT=NATIVE))
        assert body == _frame(ds, number - 1), number
    assert staff_client.get(f"{url}/frames/{frames + 1}", HTTP_ACCEPT=NATIVE).status_code == 404
    assert len(parses) == 1


def test_what_is_remembered_opens_nothing_to_others(
    storage, staff_user, clinic, staff_client, outsider_client, tmp_path, parses
):
    url, ds = _stored(staff_user, clinic, tmp_path, "CT_small.dcm")
    assert staff_client.get(f"{url}/frames/1", HTTP_ACCEPT=NATIVE).status_code == 200
    assert outsider_client.get(f"{url}/frames/1", HTTP_ACCEPT=NATIVE).status_code == 404
    study = get_api().open_instances(
        actor=staff_user,
        study_uid=ds.StudyInstanceUID,
        series_uid=None,
        sop_instance_uid=None,
        purpose=pixels.t.DicomReadPurpose.FRAMES,
    )
    order_id = study.order_id
    get_api().delete_order(actor=staff_user, order_id=order_id)
    assert staff_client.get(f"{url}/frames/1", HTTP_ACCEPT=NATIVE).status_code == 404
