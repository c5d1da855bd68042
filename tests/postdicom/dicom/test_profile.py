from __future__ import annotations

from pydicom import datadict

from postdicom.dicom.profile import BASIC_PROFILE, PROFILE_TAGS, Action, is_curve_or_overlay, resolve

CODES = {"X", "Z", "D", "U", "K", "Z/D", "X/Z", "X/D", "X/Z/D", "X/Z/U*"}


def test_table_uses_known_keywords_and_codes():
    assert len(PROFILE_TAGS) == len(BASIC_PROFILE) > 250
    assert set(BASIC_PROFILE.values()) <= CODES
    for tag, keyword in PROFILE_TAGS.items():
        assert datadict.keyword_for_tag(tag) == keyword


def test_the_identifiers_the_brief_names_are_in_the_table():
    for keyword in (
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "PatientAddress",
        "PatientTelephoneNumbers",
        "ReferringPhysicianName",
        "PerformingPhysicianName",
        "OperatorsName",
        "InstitutionName",
        "InstitutionAddress",
        "StationName",
        "DeviceSerialNumber",
        "AccessionNumber",
        "StudyID",
        "StudyDate",
        "StudyTime",
        "ImageComments",
        "RequestAttributesSequence",
        "StudyInstanceUID",
        "SeriesInstanceUID",
        "SOPInstanceUID",
        "FrameOfReferenceUID",
        "ReferencedSOPInstanceUID",
        "MediaStorageSOPInstanceUID",
    ):
        assert keyword in BASIC_PROFILE, keyword


def test_resolution_of_combined_codes():
    assert resolve("Z", "PN", "PatientName") is Action.EMPTY
    assert resolve("Z", "DA", "PatientBirthDate") is Action.EMPTY  # never kept, even shifted
    assert resolve("Z", "DA", "StudyDate") is Action.SHIFT
    assert resolve("X/D", "TM", "SeriesTime") is Action.KEEP
    assert resolve("X", "DA", "LastMenstrualDate") is Action.REMOVE
    assert resolve("X/Z/D", "LO", "InstitutionName") is Action.REMOVE
    assert resolve("Z/D", "LO", "ContrastBolusAgent") is Action.EMPTY
    assert resolve("D", "PN", "PersonName") is Action.DUMMY
    assert resolve("D", "SQ", "VerifyingObserverSequence") is Action.DUMMY
    assert resolve("X/Z/U*", "SQ", "ReferencedImageSequence") is Action.KEEP
    assert resolve("U", "UI", "SOPInstanceUID") is Action.UID


def test_curves_and_overlays():
    assert is_curve_or_overlay(0x50000010)
    assert is_curve_or_overlay(0x60023000)
    assert is_curve_or_overlay(0x601E4000)
    assert not is_curve_or_overlay(0x60000010)  # overlay rows stay (the data goes)
    assert not is_curve_or_overlay(0x50010010)  # odd: a private group, removed as such
