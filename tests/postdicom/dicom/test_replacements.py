from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from postdicom.dicom.replacements import REPLACEABLE, apply_replacements, canonical_keyword, validate_replacements
from postdicom.errors import InvalidInput


def test_validation_of_replacement_values():
    cleaned = validate_replacements(
        {
            "PatientName": "x" * 70,
            "AccessionNumber": "1234567890ABCDEFXYZ",
            "StudyDate": "20240229",
            "OtherPatientIDs": "A\\B",
            "OtherPatientName": "Doe^J\\Roe^R",
            "x00081030": "Knee",
        }
    )
    assert cleaned["PatientName"] == "x" * 64
    assert cleaned["AccessionNumber"] == "1234567890ABCDEF"
    assert cleaned["StudyDate"] == "20240229"
    assert cleaned["OtherPatientIDs"] == "A\\B"
    assert cleaned["OtherPatientNames"] == "Doe^J\\Roe^R"
    assert cleaned["StudyDescription"] == "Knee"
    with pytest.raises(InvalidInput) as caught:
        validate_replacements(
            {
                "StudyDate": "20230230",
                "PatientID": "A\\B",
                "PatientName": "a^b^c^d^e^f",
                "InstitutionName": "bad\x07bell",
                "Modality": "CT",
            }
        )
    errors = caught.value.field_errors
    assert errors["StudyDate"] == ["Enter a real date as YYYY-MM-DD or YYYYMMDD."]
    assert errors["PatientID"] == ["A backslash (\\) is not allowed here."]
    assert errors["PatientName"] == ["Write names as LAST^FIRST^MIDDLE^PREFIX^SUFFIX."]
    assert errors["InstitutionName"] == ["Use letters, digits, spaces and punctuation only."]
    assert errors["Modality"] == ["This tag cannot be replaced."]


def test_postdicom_names_and_hex_keys_are_understood():
    assert canonical_keyword("PatientId") == "PatientID"
    assert canonical_keyword("x00100010") == "PatientName"
    assert canonical_keyword("X00080020") == "StudyDate"
    assert canonical_keyword("00081030") == "StudyDescription"
    assert canonical_keyword("Modality") is None
    assert len(REPLACEABLE) == 10


def test_apply_sets_adds_empties_and_splits_multiple_values():
    ds = Dataset()
    ds.PatientName = "Old^Name"
    ds.AccessionNumber = "OLD"
    apply_replacements(
        ds,
        validate_replacements(
            {"PatientName": "New^Name", "AccessionNumber": "", "OtherPatientIDs": "A\\B", "StudyDate": "2024-01-31"}
        ),
    )
    assert ds.PatientName == "New^Name"
    assert ds.AccessionNumber == ""
    assert list(ds.OtherPatientIDs) == ["A", "B"]
    assert ds.StudyDate == "20240131"
    assert ds["StudyDate"].VR == "DA"
