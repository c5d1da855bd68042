"""Stored studies for the DICOMweb tests: real pydicom files uploaded by ``staff_user`` into
``clinic`` through ``upload_dicom`` and ingested as a worker does, into this test's storage."""

from __future__ import annotations

from dataclasses import dataclass

import pydicom
import pytest

from postdicom.local.models import InstanceRecord, StudyRecord
from postdicom.local.uploads.indexing import forget_cached_series
from tests.uploads.conftest import local_storage, upload
from tests.uploads.files import shipped

#: One file per kind the viewer must read: uncompressed CT and MR, JPEG 2000, a 30-frame
#: JPEG baseline (YBR), a 15-frame RLE, and JPEG lossless (no decoder here without pylibjpeg).
FILES = {
    "ct": "CT_small.dcm",
    "mr": "MR_small.dcm",
    "j2k": "JPEG2000.dcm",
    "jpeg_frames": "examples_ybr_color.dcm",
    "rle_frames": "rtdose_rle.dcm",
    "jpeg_lossless": "SC_rgb_jpeg_gdcm.dcm",
}


@dataclass(frozen=True)
class Stored:
    """A stored file's UIDs, path in pydicom's data and its dataset (read whole)."""

    name: str
    path: str
    study: str
    series: str
    instance: str
    ds: pydicom.Dataset

    @property
    def url(self) -> str:
        return f"/dicomweb/studies/{self.study}/series/{self.series}/instances/{self.instance}"


@pytest.fixture
def storage(settings, tmp_path, monkeypatch):
    forget_cached_series()
    monkeypatch.setattr("postdicom.local.uploads.queue._send", lambda task, *args: None)
    local_storage(settings, tmp_path)
    return tmp_path


@pytest.fixture
def stored(storage, staff_user, clinic, tmp_path) -> dict[str, Stored]:
    paths = {key: shipped(name) for key, name in FILES.items()}
    upload(staff_user, clinic, list(paths.values()), tmp_path)
    out = {}
    for key, path in paths.items():
        ds = pydicom.dcmread(path)
        assert InstanceRecord.objects.filter(sop_instance_uid=ds.SOPInstanceUID, stored=True).exists(), key
        out[key] = Stored(key, str(path), ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID, ds)
    return out


def order_of(item: Stored):
    return StudyRecord.objects.select_related("order").get(study_uid=item.study).order
