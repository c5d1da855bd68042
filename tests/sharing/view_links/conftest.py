"""Orders with stored images for the view link tests, uploaded by ``staff_user`` and ingested."""

from __future__ import annotations

import pydicom
import pytest

from postdicom.local.models import StudyRecord
from tests.uploads.conftest import upload, upload_dirs  # noqa: F401 (a fixture used here)
from tests.uploads.files import make_image


@pytest.fixture
def scans(upload_dirs, staff_user, clinic, tmp_path):  # noqa: F811 (the fixture imported above)
    """Two orders of Ana García (one study each) and one of Bea Ruiz, uploaded by staff."""
    paths = {
        "ana1": make_image(tmp_path / "a1.dcm", patient_name="García^Ana", patient_id="A", accession="AN-1"),
        "ana2": make_image(tmp_path / "a2.dcm", patient_name="GARCIA^ANA", patient_id="A", accession="AN-2"),
        "bea": make_image(tmp_path / "b.dcm", patient_name="Ruiz^Bea", patient_id="B", accession="BN-1"),
    }
    upload(staff_user, clinic, list(paths.values()), tmp_path)
    found = {}
    for key, path in paths.items():
        ds = pydicom.dcmread(path)
        study = StudyRecord.objects.select_related("order").get(study_uid=ds.StudyInstanceUID)
        found[key] = (study.order.uuid, ds)
    return found
