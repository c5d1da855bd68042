"""The stored-image methods of the contract (QIDO-RS and WADO-RS underneath), on every backend."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pydicom
import pytest
from django.contrib.auth.models import User
from PIL import Image

from postdicom import PostDicomApi
from postdicom.errors import InvalidInput, NotFound
from postdicom.local.models import Institution
from postdicom.types import DICOM_SEARCH_LIMIT, Capability, DicomQuery, DicomReadPurpose
from tests.contract.scenes import store_ct
from tests.missing import offered
from tests.postdicom.local.orders_setup import create


@pytest.fixture
def study(data_dir: Path, monkeypatch: Any, staff_user: User, clinic: Institution, tmp_path: Path) -> pydicom.Dataset:
    """pydicom's CT, stored for ``clinic`` by ``staff_user``."""
    return store_ct(staff_user, clinic, tmp_path, monkeypatch)[0]


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


def test_a_study_is_found_by_a_series_or_an_instance_in_it(
    api: PostDicomApi, study: pydicom.Dataset, staff_user: User, outsider: User
) -> None:
    offered(api, Capability.FIND_STUDY)
    uid = study.StudyInstanceUID
    assert api.find_study(actor=staff_user, series_uid=study.SeriesInstanceUID) == uid
    assert api.find_study(actor=staff_user, sop_instance_uid=study.SOPInstanceUID) == uid
    both = {"series_uid": study.SeriesInstanceUID, "sop_instance_uid": study.SOPInstanceUID}
    assert api.find_study(actor=staff_user, **both) == uid
    with pytest.raises(NotFound):
        api.find_study(actor=outsider, series_uid=study.SeriesInstanceUID)
    with pytest.raises(NotFound):
        api.find_study(actor=staff_user, series_uid=study.SeriesInstanceUID, sop_instance_uid="1.2.3.4")


def test_a_study_has_a_small_picture_for_who_sees_its_order(
    api: PostDicomApi, study: pydicom.Dataset, staff_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.STUDY_THUMBNAIL)
    (found,) = api.search_studies(actor=staff_user, query=DicomQuery(study_uids=(study.StudyInstanceUID,)))
    thumbnail = api.study_thumbnail(actor=staff_user, order_id=found.order_id)
    assert thumbnail is not None
    assert (thumbnail.order_id, thumbnail.study_uid, thumbnail.content_type) == (
        found.order_id,
        study.StudyInstanceUID,
        "image/jpeg",
    )
    with thumbnail.open() as picture:
        drawn = Image.open(io.BytesIO(picture.read()))
    assert drawn.format == "JPEG"
    assert max(drawn.size) <= 160
    again = api.study_thumbnail(actor=staff_user, order_id=found.order_id, study_uid=study.StudyInstanceUID)
    assert again is not None
    assert again.etag == thumbnail.etag
    with pytest.raises(NotFound):
        api.study_thumbnail(actor=outsider, order_id=found.order_id)
    with pytest.raises(NotFound):
        api.study_thumbnail(actor=staff_user, order_id=found.order_id, study_uid="1.2.3.4")
    empty = create(staff_user, clinic)
    assert api.study_thumbnail(actor=staff_user, order_id=empty.id) is None


def test_a_search_out_of_range_or_of_a_hidden_study_is_refused(
    api: PostDicomApi, study: pydicom.Dataset, staff_user: User, outsider: User
) -> None:
    offered(api, Capability.SEARCH_INSTANCES)
    with pytest.raises(NotFound):
        api.search_instances(actor=outsider, study_uid=study.StudyInstanceUID, series_uid=None, query=DicomQuery())
    with pytest.raises(NotFound):
        api.search_instances(
            actor=staff_user, study_uid=study.StudyInstanceUID, series_uid="1.2.3.4", query=DicomQuery()
        )
    offered(api, Capability.SEARCH_STUDIES)
    with pytest.raises(InvalidInput):
        api.search_studies(actor=staff_user, query=DicomQuery(limit=DICOM_SEARCH_LIMIT + 1))
