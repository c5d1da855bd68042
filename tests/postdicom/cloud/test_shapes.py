"""PostDICOM's answers read back into the contract's types (postdicom.cloud.shapes): an order's
studies and series from GetPatientOrderProperties."""

from __future__ import annotations

import uuid

import pytest

from postdicom.cloud import shapes
from postdicom.errors import Unavailable

ORDER = {
    "PatientOrderUuid": "9a3a3f5e-8a7c-4d0e-9a55-0f0c6c6d1a01",
    "PatientOrderInstitutionUuid": "5b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d",
    "PatientName": "QUISPE^Rosa",
    "OrderScheduledDatetime": "2026-11-20 10:15",
}

SERIES_ID = "0d9f2b8c-1e4a-4c3b-9a7d-5f6e7d8c9b0a"


def _with(*studies: object) -> dict[str, object]:
    return {**ORDER, "StudyList": list(studies)}


def test_studies_and_series_as_a_rayport_sends_them():
    detail = shapes.order_detail(
        _with(
            {
                "PatientStudyUuid": "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9",
                "StudyInstanceUid": "1.2.3.4",
                "StudyDate": "2026-11-20",
                "StudyDescription": "Chest",
                "ImagesCount": 3,
                "SeriesList": [
                    {
                        "PatientSeriesUuid": SERIES_ID,
                        "SeriesInstanceUid": "1.2.3.4.1",
                        "Modality": "CT",
                        "SeriesDescription": "Axial",
                        "SeriesNumber": 2,
                        "ImagesCount": 3,
                    }
                ],
            }
        )
    )
    [study] = detail.studies
    assert study.id == uuid.UUID("1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9")
    assert (study.study_uid, study.description, study.image_count) == ("1.2.3.4", "Chest", 3)
    assert study.study_date is not None
    assert study.study_date.isoformat() == "2026-11-20"
    [series] = study.series
    assert (series.id, series.series_uid, series.modality, series.number) == (
        uuid.UUID(SERIES_ID),
        "1.2.3.4.1",
        "CT",
        2,
    )


def test_a_study_without_an_id_gets_a_stable_one_from_its_uid():
    """PostDICOM's own StudyList names no study id: the same UID always gives the same id."""
    entry = {"StudyInstanceUid": "1.2.3.4", "SeriesList": [{"SeriesInstanceUid": "1.2.3.4.1", "SeriesNumber": None}]}
    first = shapes.order_detail(_with(entry)).studies[0]
    again = shapes.order_detail(_with(entry)).studies[0]
    assert first.id == again.id == uuid.uuid5(uuid.NAMESPACE_OID, "1.2.3.4")
    assert first.series[0].id == uuid.uuid5(uuid.NAMESPACE_OID, "1.2.3.4.1")
    assert first.series[0].number is None
    assert first.study_date is None


def test_no_study_list_is_no_studies():
    assert shapes.order_detail(ORDER).studies == ()


@pytest.mark.parametrize(
    "entry",
    [
        {"StudyDescription": "no UID"},
        {"StudyInstanceUid": "1.2", "PatientStudyUuid": "not-a-uuid"},
        {"StudyInstanceUid": "1.2", "SeriesList": [{"Modality": "CT"}]},
        {"StudyInstanceUid": "1.2", "ImagesCount": "many"},
    ],
)
def test_an_unreadable_study_is_unavailable_not_a_crash(entry):
    with pytest.raises(Unavailable):
        shapes.order_detail(_with(entry))
