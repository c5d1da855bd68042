"""The stored-image methods of the contract (QIDO-RS and WADO-RS underneath), on every backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydicom
import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi
from postdicom.errors import NotFound
from postdicom.local.models import Institution
from postdicom.local.uploads.indexing import forget_cached_series
from postdicom.types import Capability, DicomQuery, DicomReadPurpose
from tests.missing import offered
from tests.uploads.conftest import upload
from tests.uploads.files import shipped


@pytest.fixture
def study(data_dir: Path, monkeypatch: Any, staff_user: User, clinic: Institution, tmp_path: Path) -> pydicom.Dataset:
    """pydicom's CT, stored for ``clinic`` by ``staff_user``."""
    forget_cached_series()
    monkeypatch.setattr("postdicom.local.uploads.queue._send", lambda task, *args: None)
    path = shipped("CT_small.dcm")
    upload(staff_user, clinic, [path], tmp_path)
    return pydicom.dcmread(path)


def test_a_study_is_found_by_its_keys_and_only_by_who_may_see_it(
    api: PostDicomApi, study: pydicom.Dataset, staff_user: User, outsider: User
) -> None:
    offered(api, Capability.SEARCH_STUDIES)
    (found,) = api.search_studies(actor=staff_user, query=DicomQuery(patient_id=study.PatientID))
    assert (found.study_uid, found.instance_count, found.modalities) == (study.StudyInstanceUID, 1, ("CT",))
    assert found.patient_name == str(study.PatientName)
    assert api.search_studies(actor=staff_user, query=DicomQuery(patient_id="nobody")) == ()
    assert api.search_studies(actor=outsider, query=DicomQuery()) == ()


def test_series_and_instances_of_a_study(
    api: PostDicomApi, study: pydicom.Dataset, staff_user: User, outsider: User
) -> None:
    offered(api, Capability.SEARCH_SERIES)
    (series,) = api.search_series(actor=staff_user, study_uid=study.StudyInstanceUID, query=DicomQuery())
    assert (series.series_uid, series.modality, series.instance_count) == (study.SeriesInstanceUID, "CT", 1)
    (instance,) = api.search_instances(
        actor=staff_user, study_uid=study.StudyInstanceUID, series_uid=series.series_uid, query=DicomQuery()
    )
    assert instance.sop_instance_uid == study.SOPInstanceUID
    assert instance.transfer_syntax_uid == study.file_meta.TransferSyntaxUID
    with pytest.raises(NotFound):
        api.search_series(actor=outsider, study_uid=study.StudyInstanceUID, query=DicomQuery())


def test_an_instance_is_read_back_byte_for_byte(
    api: PostDicomApi, study: pydicom.Dataset, staff_user: User, outsider: User
) -> None:
    offered(api, Capability.OPEN_INSTANCES)
    stored = api.open_instances(actor=staff_user, study_uid=study.StudyInstanceUID, purpose=DicomReadPurpose.RETRIEVE)
    (item,) = stored.instances
    with stored.open(item) as handle:
        assert pydicom.dcmread(handle).SOPInstanceUID == study.SOPInstanceUID
    found = api.search_studies(actor=staff_user, query=DicomQuery())
    assert stored.order_id == found[0].order_id
    with pytest.raises(NotFound):
        api.open_instances(actor=outsider, study_uid=study.StudyInstanceUID, purpose=DicomReadPurpose.RETRIEVE)
