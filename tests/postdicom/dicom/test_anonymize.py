from __future__ import annotations

import hashlib
import re
import shutil
import tracemalloc
from pathlib import Path

import pydicom
import pytest
from django.utils import translation
from pydicom import datadict
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence

from postdicom.dicom.anonymize import anonymize, anonymize_file, burned_in_warning
from postdicom.dicom.deidentify import DUMMY_NAME, shift_date, shift_datetime
from postdicom.dicom.problems import DicomProblem, ProblemCode, WarningCode
from postdicom.dicom.profile import BASIC_PROFILE, Action, resolve
from postdicom.dicom.read import summarize
from postdicom.dicom.uids import UidMap
from postdicom.errors import InvalidInput
from postdicom.types import Anonymization
from tests.postdicom.dicom.conftest import data_file, label, make_image, make_large, pydicom_reads, shipped_files

PROFILE = Anonymization(basic_profile=True)
SECRET_UID = "1.2.3.4.5.6.7"
INNER_UID = "1.2.3.4.5.6.7.8"
CT_CLASS = "1.2.840.10008.5.1.4.1.1.2"


def secret_value(vr: str):
    vr = vr.split(" or ")[0]
    if vr == "SQ":
        item = Dataset()
        item.PatientName = "Secret^Inner"
        item.ReferencedSOPClassUID = CT_CLASS
        item.ReferencedSOPInstanceUID = INNER_UID
        return Sequence([item])
    return {
        "AE": "SECRETAE",
        "AS": "042Y",
        "AT": 0x00100010,
        "DA": "20200115",
        "DS": "1.5",
        "DT": "20200115101010",
        "FL": 1.5,
        "FD": 1.5,
        "IS": "7",
        "PN": "Secret^Person",
        "TM": "101010",
        "UI": SECRET_UID,
        "UR": "http://secret.example",
        "SL": 7,
        "SS": 7,
        "UL": 7,
        "US": 7,
        "SV": 7,
        "UV": 7,
    }.get(vr, b"SECRET!!" if vr.startswith("O") or vr == "UN" else "SECRET")


def tag_of(keyword: str) -> int:
    tag = datadict.tag_for_keyword(keyword)
    assert tag is not None
    return tag


def dataset_with_the_whole_table() -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    for keyword in BASIC_PROFILE:
        tag = tag_of(keyword)
        vr = datadict.dictionary_VR(tag).split(" or ")[0]
        target = ds.file_meta if tag >> 16 == 0x0002 else ds
        target.add_new(tag, vr, secret_value(vr))
    ds.SOPClassUID = CT_CLASS
    ds.Modality = "CT"
    return ds


def all_values(ds: Dataset):
    for element in ds.iterall():
        if element.VR == "SQ":
            continue
        values = element.value if isinstance(element.value, list | tuple) else [element.value]
        yield from ((element, value) for value in values)


def test_every_attribute_of_the_table_gets_its_action():
    ds = dataset_with_the_whole_table()
    uid_map = UidMap.new()
    report = anonymize(ds, PROFILE, uid_map)
    days = uid_map.date_offset_days
    assert report.profile_applied
    assert report.date_offset_days == days
    for keyword, code in BASIC_PROFILE.items():
        tag = tag_of(keyword)
        vr = datadict.dictionary_VR(tag).split(" or ")[0]
        holder = ds.file_meta if tag >> 16 == 0x0002 else ds
        action = resolve(code, vr, keyword)
        if action is Action.REMOVE:
            assert tag not in holder, keyword
            continue
        element = holder[tag]
        if action is Action.EMPTY:
            assert element.is_empty, keyword
        elif action is Action.UID:
            assert element.value == uid_map(SECRET_UID), keyword
        elif action is Action.SHIFT:
            shifted = shift_date("20200115", days) if vr == "DA" else shift_datetime("20200115101010", days)
            assert element.value == shifted, keyword
        elif action is Action.KEEP and vr == "TM":
            assert element.value == "101010", keyword
        elif vr == "SQ":  # kept or "dummy" sequences: their items are cleaned
            (item,) = element.value
            assert item.PatientName == "", keyword
            assert item.ReferencedSOPInstanceUID == uid_map(INNER_UID), keyword
            assert item.ReferencedSOPClassUID == CT_CLASS, keyword
        else:
            assert action is Action.DUMMY, keyword
            assert element.value not in (secret_value(vr), "", None), keyword
    leftovers = [
        (element.keyword, value)
        for element, value in all_values(ds)
        if "secret" in str(value).lower() or str(value) in (SECRET_UID, INNER_UID)
    ]
    assert leftovers == []


def test_table_choices_for_names_ids_and_dates():
    ds = dataset_with_the_whole_table()
    anonymize(ds, PROFILE, UidMap.new())
    assert ds.PatientName == ""
    assert ds.PatientID == ""
    assert ds.PatientBirthDate == ""
    assert ds.AccessionNumber == ""
    assert ds.StudyID == ""
    assert ds.ReferringPhysicianName == ""
    for gone in ("OtherPatientIDs", "PatientAddress", "PatientTelephoneNumbers", "InstitutionName", "StationName"):
        assert gone not in ds
    for gone in ("OperatorsName", "DeviceSerialNumber", "RequestAttributesSequence", "ImageComments"):
        assert gone not in ds
    assert ds.PersonName == DUMMY_NAME
    assert ds.StudyDate != "20200115"
    assert len(ds.StudyDate) == 8
    assert ds.StudyDate == ds.SeriesDate  # shifted together


def test_marks_the_instance_as_deidentified():
    ds = dataset_with_the_whole_table()
    anonymize(ds, PROFILE, UidMap.new())
    assert ds.PatientIdentityRemoved == "YES"
    assert "Basic Application Confidentiality Profile" in ds.DeidentificationMethod
    codes = {item.CodeValue for item in ds.DeidentificationMethodCodeSequence}
    assert codes == {"113100", "113107"}
    assert ds.LongitudinalTemporalInformationModified == "MODIFIED"


def test_private_tags_go_and_pixels_stay(tmp_path, ct_small):
    original = pydicom.dcmread(ct_small)
    assert any(element.tag.is_private for element in original)
    out = tmp_path / "anon.dcm"
    report = anonymize_file(ct_small, out, PROFILE, UidMap.new())
    result = pydicom.dcmread(out)  # a valid Part 10 file, read without force
    assert not any(element.tag.is_private for element in result.iterall())
    assert result.PixelData == original.PixelData
    assert result.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
    assert result.file_meta.MediaStorageSOPInstanceUID == result.SOPInstanceUID == report.sop_instance_uid
    assert result.SOPInstanceUID != original.SOPInstanceUID
    assert result.preamble == b"\x00" * 128
    assert summarize(out).patient_name == ""


def _series(tmp_path: Path, study: str, count: int) -> list[Path]:
    return [
        make_image(tmp_path / f"in{i}.dcm", study_uid=study, series_uid=study + ".7", sop_uid=f"{study}.7.{i}")
        for i in range(count)
    ]


def test_uids_are_remapped_consistently_within_a_batch_and_not_across(tmp_path):
    first, second = _series(tmp_path, "1.2.826.0.1.3680043.8.498.42", 2)
    batch = UidMap.new()
    a = anonymize_file(first, tmp_path / "a.dcm", PROFILE, batch)
    b = anonymize_file(second, tmp_path / "b.dcm", PROFILE, batch)
    assert a.study_instance_uid == b.study_instance_uid
    assert a.series_instance_uid == b.series_instance_uid
    assert a.sop_instance_uid != b.sop_instance_uid
    assert a.study_instance_uid.startswith("2.25.")
    assert len(a.study_instance_uid) <= 64
    # the same secret (a worker resuming the batch) gives the same UIDs
    again = anonymize_file(first, tmp_path / "a2.dcm", PROFILE, UidMap.from_hex(batch.secret_hex))
    assert again.sop_instance_uid == a.sop_instance_uid
    # another batch gives others
    other = anonymize_file(first, tmp_path / "c.dcm", PROFILE, UidMap.new())
    assert other.study_instance_uid != a.study_instance_uid
    assert other.sop_instance_uid != a.sop_instance_uid


def test_dates_move_together_across_the_files_of_a_batch(tmp_path):
    first, second = _series(tmp_path, "1.2.826.0.1.3680043.8.498.43", 2)
    batch = UidMap.new()
    anonymize_file(first, tmp_path / "a.dcm", PROFILE, batch)
    anonymize_file(second, tmp_path / "b.dcm", PROFILE, batch)
    a, b = pydicom.dcmread(tmp_path / "a.dcm"), pydicom.dcmread(tmp_path / "b.dcm")
    assert a.StudyDate == b.StudyDate == shift_date("20240115", batch.date_offset_days)
    assert a.StudyTime == "101500"  # whole-day shifts keep times true
    assert -3653 <= batch.date_offset_days <= -365


@pytest.mark.parametrize(
    "path", [p for p in shipped_files() if p.suffix == ".dcm" and pydicom_reads(p) is not None], ids=label
)
def test_every_usable_pydicom_file_anonymizes_to_a_valid_file_with_the_same_pixels(path, tmp_path):
    out = tmp_path / "out.dcm"
    request = Anonymization({"PatientName": "Anon^Case"}, basic_profile=True)
    try:
        summarize(path)
    except DicomProblem as refused:  # the files summarize() refuses are refused here too
        with pytest.raises(DicomProblem, match=re.escape(refused.reason)):
            anonymize_file(path, out, request, UidMap.new())
        assert not out.exists()
        return
    anonymize_file(path, out, request, UidMap.new())
    original, result = pydicom_reads(path), pydicom.dcmread(out)
    assert original is not None
    assert result.get("PixelData") == original.get("PixelData")
    assert result.PatientName == "Anon^Case"
    assert result.PatientIdentityRemoved == "YES"
    assert not any(element.tag.is_private for element in result.iterall())


def test_file_without_meta_gets_one(tmp_path, ct_small):
    out = tmp_path / "out.dcm"
    anonymize_file(data_file("no_meta.dcm"), out, PROFILE, UidMap.new())
    result = pydicom.dcmread(out)
    assert result.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert result.PixelData == pydicom.dcmread(ct_small).PixelData


def test_implicit_data_set_under_an_explicit_syntax_is_written_consistently(tmp_path):
    source = data_file("SC_rgb_jpeg.dcm")  # its meta says explicit VR, its data set is implicit
    out = tmp_path / "out.dcm"
    anonymize_file(source, out, PROFILE, UidMap.new())
    original = pydicom_reads(source)
    assert original is not None
    assert pydicom.dcmread(out).PixelData == original.PixelData
    assert summarize(out).warnings == ()


def test_elements_after_the_pixel_data_are_handled(tmp_path):
    path = make_image(tmp_path / "tail.dcm")
    ds = pydicom.dcmread(path)
    ds.private_block(0x7FE1, "RAYPORT TEST", create=True).add_new(0x01, "LO", "secret tail")
    ds.DataSetTrailingPadding = b"\x00" * 8
    ds.save_as(path, enforce_file_format=True)
    kept = tmp_path / "kept.dcm"
    anonymize_file(path, kept, Anonymization({"PatientID": "NEW"}))
    result = pydicom.dcmread(kept)
    assert result[0x7FE1, 0x1001].value == "secret tail"
    assert result.PixelData == ds.PixelData
    assert result.PatientID == "NEW"
    cleaned = tmp_path / "cleaned.dcm"
    anonymize_file(path, cleaned, PROFILE, UidMap.new())
    result = pydicom.dcmread(cleaned)
    assert (0x7FE1, 0x1001) not in result
    assert "DataSetTrailingPadding" not in result
    assert result.PixelData == ds.PixelData


def test_replacements_apply_after_the_profile(tmp_path, ct_small):
    out = tmp_path / "out.dcm"
    request = Anonymization(
        {"PatientName": "CASE^ONE", "StudyDate": "2021-03-04", "InstitutionName": "Teaching Set"}, basic_profile=True
    )
    report = anonymize_file(ct_small, out, request, UidMap.new())
    result = pydicom.dcmread(out)
    assert result.PatientName == "CASE^ONE"
    assert result.StudyDate == "20210304"  # given, so not shifted
    assert result.InstitutionName == "Teaching Set"  # the profile removed it; the value brings it back
    assert set(report.replaced) == {"PatientName", "StudyDate", "InstitutionName"}


def test_replacements_alone_change_only_their_tags(tmp_path, ct_small):
    out = tmp_path / "out.dcm"
    report = anonymize_file(ct_small, out, Anonymization({"PatientId": "X1", "x00080050": "A-9"}))
    before, after = pydicom.dcmread(ct_small), pydicom.dcmread(out)
    assert after.PatientID == "X1"
    assert after.AccessionNumber == "A-9"
    assert after.SOPInstanceUID == before.SOPInstanceUID
    assert after.StudyDate == before.StudyDate
    assert "PatientIdentityRemoved" not in after
    assert not report.profile_applied
    assert report.date_offset_days is None


def test_non_latin_replacement_switches_to_utf8_only_when_needed(tmp_path, ct_small):
    latin = tmp_path / "latin.dcm"
    anonymize_file(ct_small, latin, Anonymization({"PatientName": "Müller^Jürgen"}))
    assert pydicom.dcmread(latin).SpecificCharacterSet == "ISO_IR 100"
    assert str(pydicom.dcmread(latin).PatientName) == "Müller^Jürgen"
    greek_source = data_file("chrGreek.dcm")
    mixed = tmp_path / "mixed.dcm"
    anonymize_file(greek_source, mixed, Anonymization({"StudyDescription": "山田 Study"}))
    result = pydicom.dcmread(mixed)
    assert result.SpecificCharacterSet == "ISO_IR 192"
    assert result.StudyDescription == "山田 Study"
    assert str(result.PatientName) == "Διονυσιος"  # the old values were carried over, not garbled


def test_bad_replacements_write_nothing(tmp_path, ct_small):
    out = tmp_path / "out.dcm"
    with pytest.raises(InvalidInput):
        anonymize_file(ct_small, out, Anonymization({"StudyDate": "yesterday"}))
    assert not out.exists()


def test_profile_needs_a_uid_map():
    with pytest.raises(ValueError, match="UidMap"):
        anonymize(Dataset(), PROFILE)


def test_burned_in_annotation_warnings(tmp_path):
    us = pydicom.dcmread(make_image(tmp_path / "us.dcm", modality="US"))
    unstated = burned_in_warning(us)
    assert unstated is not None
    assert (unstated.code, unstated.params) == (WarningCode.BURNED_IN_UNSTATED, {"modality": "US"})
    with translation.override("en"):
        assert "US image does not say" in str(unstated)
    us.BurnedInAnnotation = "NO"
    assert burned_in_warning(us) is None
    ct = pydicom.dcmread(make_image(tmp_path / "ct.dcm"))
    assert burned_in_warning(ct) is None
    ct.BurnedInAnnotation = "YES"
    stated = burned_in_warning(ct)
    assert stated is not None
    assert stated.code is WarningCode.BURNED_IN
    with translation.override("en"):
        assert "burned into its pixels" in stated.sentence
    report = anonymize_file(tmp_path / "us.dcm", tmp_path / "out.dcm", PROFILE, UidMap.new())
    assert report.burned_in_risk
    assert report.warnings == (unstated,)


def test_a_broken_source_leaves_no_output_and_an_existing_target_is_untouched(tmp_path, ct_small):
    out = tmp_path / "out.dcm"
    with pytest.raises(DicomProblem) as caught:
        anonymize_file(data_file("MR_truncated.dcm"), out, PROFILE, UidMap.new())
    assert caught.value.code is ProblemCode.TRUNCATED
    assert not out.exists()
    out.write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        anonymize_file(ct_small, out, PROFILE, UidMap.new())
    assert out.read_bytes() == b"keep me"


def test_the_original_is_only_read(tmp_path, ct_small):
    source = tmp_path / "source.dcm"
    shutil.copy(ct_small, source)
    before = source.read_bytes()
    anonymize_file(source, tmp_path / "out.dcm", PROFILE, UidMap.new())
    assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.dcm", "source.dcm"]


def _digest(path: Path, start: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        handle.seek(start)
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def test_large_file_is_streamed_not_loaded(tmp_path):
    size = 64 << 20
    source = make_large(tmp_path / "big.dcm", size, sparse=False)
    out = tmp_path / "out.dcm"
    tracemalloc.start()
    try:
        anonymize_file(source, out, PROFILE, UidMap.new())
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, peak
    assert _digest(source, source.stat().st_size - size) == _digest(out, out.stat().st_size - size)
    source.unlink()
    out.unlink()


def test_names_of_people_outside_the_table_are_emptied_too():
    ds = Dataset()
    ds.EvaluatorName = "Secret^Evaluator"
    ds.ROIInterpreter = "Secret^Physicist"
    ds.Manufacturer = "ACME"  # not a person: kept
    anonymize(ds, PROFILE, UidMap.new())
    assert ds.EvaluatorName == ""
    assert ds.ROIInterpreter == ""
    assert ds.Manufacturer == "ACME"
