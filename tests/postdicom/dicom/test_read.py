from __future__ import annotations

import datetime as dt
import shutil

import pytest
from django.utils import translation

from postdicom import types as t
from postdicom.dicom.layout import IMPLICIT_LE
from postdicom.dicom.problems import DicomProblem, DicomWarning, ProblemCode, WarningCode
from postdicom.dicom.read import file_summary, read_dicom_files, summarize
from tests.postdicom.dicom.conftest import (
    PYDICOM_DATA,
    data_file,
    label,
    make_image,
    make_nested,
    pydicom_reads,
    shipped_files,
)

#: pydicom reads these without complaint; they are broken all the same.
KNOWN_BROKEN = {
    "MR_truncated.dcm": ProblemCode.TRUNCATED,  # Pixel Data cut short
    "rtplan_truncated.dcm": ProblemCode.TRUNCATED,  # the last value runs past the end
    "badVR.dcm": ProblemCode.DAMAGED_VALUE,  # Number of Frames "1A"
}

READABLE = [path for path in shipped_files() if pydicom_reads(path) is not None]


def _problem(path) -> DicomProblem:
    with pytest.raises(DicomProblem) as caught:
        summarize(path)
    return caught.value


def test_pydicom_ships_enough_files_to_mean_something():
    assert len(READABLE) > 150
    assert {"CT_small.dcm", "MR_small.dcm", "chrH31.dcm", "chrArab.dcm"} <= {p.name for p in READABLE}


@pytest.mark.parametrize("path", READABLE, ids=label)
def test_every_file_pydicom_reads_is_summarized_with_pydicoms_values(path):
    ds = pydicom_reads(path)
    assert ds is not None
    if path.name in KNOWN_BROKEN:
        assert _problem(path).code is KNOWN_BROKEN[path.name]
        return
    if ds.get("MediaStorageSOPClassUID") == "1.2.840.10008.1.3.10" or "DirectoryRecordSequence" in ds:
        assert _problem(path).code is ProblemCode.DICOMDIR
        return
    if not all(ds.get(k) for k in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")):
        assert _problem(path).code is ProblemCode.MISSING_UID
        return
    summary = summarize(path)
    assert summary.patient_name == str(ds.get("PatientName", "") or "").strip()
    assert summary.patient_id == str(ds.get("PatientID", "") or "").strip()
    assert summary.study_instance_uid == ds.StudyInstanceUID
    assert summary.series_instance_uid == ds.SeriesInstanceUID
    assert summary.sop_instance_uid == ds.SOPInstanceUID
    assert summary.modality == str(ds.get("Modality", "") or "").strip().upper()
    assert summary.study_description == str(ds.get("StudyDescription", "") or "").strip()
    assert summary.accession_number == str(ds.get("AccessionNumber", "") or "").strip()
    assert summary.institution_name == str(ds.get("InstitutionName", "") or "").strip()
    assert summary.transfer_syntax_uid == ds.file_meta.TransferSyntaxUID
    assert summary.has_pixel_data == ("PixelData" in ds)
    if ds.get("NumberOfFrames"):
        assert summary.number_of_frames == int(ds.NumberOfFrames)
    if ds.get("SeriesNumber") not in (None, ""):
        assert summary.series_number == int(ds.SeriesNumber)


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("chrH31.dcm", "Yamada^Tarou=山田^太郎=やまだ^たろう"),
        ("chrH32.dcm", "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"),
        ("chrJapMulti.dcm", "やまだ^たろう"),
        ("chrGreek.dcm", "Διονυσιος"),
        ("chrArab.dcm", "قباني^لنزار"),
        ("chrRuss.dcm", "Люкceмбypг"),
        ("chrHbrw.dcm", "שרון^דבורה"),
        ("chrI2.dcm", "Hong^Gildong=洪^吉洞=홍^길동"),
        ("chrKoreanMulti.dcm", "김희중"),
        ("chrX1.dcm", "Wang^XiaoDong=王^小東"),
        ("chrX2.dcm", "Wang^XiaoDong=王^小东"),
        ("chrGerm.dcm", "Äneas^Rüdiger"),
        ("chrFren.dcm", "Buc^Jérôme"),
    ],
)
def test_character_sets_keep_their_names(name, stored):
    summary = summarize(data_file(name))
    assert summary.patient_name == stored
    assert summary.warnings == ()


def test_readable_name_puts_other_scripts_in_brackets():
    assert summarize(data_file("chrH31.dcm")).patient_name_display == "Yamada, Tarou (山田, 太郎 / やまだ, たろう)"
    assert summarize(data_file("chrGreek.dcm")).patient_name_display == "Διονυσιος"


def test_summary_of_ct_small(ct_small):
    summary = summarize(ct_small)
    assert summary.patient_name_display == "CompressedSamples, CT1"
    assert summary.modality == "CT"
    assert summary.study_date == dt.date(2004, 1, 19)
    assert summary.study_time == dt.time(7, 27, 30)
    assert summary.number_of_frames == 1
    assert summary.has_pixel_data
    assert summary.has_file_meta
    assert summary.character_set == "ISO_IR 100"
    assert summary.file_size == ct_small.stat().st_size
    assert summary.burned_in_annotation == ""


def test_file_without_meta_reads_like_the_file_it_came_from(ct_small):
    bare, full = summarize(data_file("no_meta.dcm")), summarize(ct_small)
    assert not bare.has_file_meta
    for attribute in ("patient_name", "patient_id", "study_instance_uid", "series_instance_uid", "sop_instance_uid"):
        assert getattr(bare, attribute) == getattr(full, attribute)
    assert bare.has_pixel_data


@pytest.mark.parametrize("name", ["ExplVR_BigEndNoMeta.dcm", "ExplVR_LitEndNoMeta.dcm", "rtstruct.dcm"])
def test_other_files_without_meta_match_pydicoms_forced_read(name):
    path = data_file(name)
    forced = pydicom_reads(path, force=True)
    assert forced is not None
    summary = summarize(path)
    assert summary.sop_instance_uid == forced.SOPInstanceUID
    assert summary.study_instance_uid == forced.StudyInstanceUID
    assert not summary.has_file_meta


def test_truncated_files_are_refused_with_the_cut_short_reason(tmp_path, ct_small):
    assert _problem(data_file("MR_truncated.dcm")).reason == (
        "The file is incomplete: it ends before its last element. Send a complete copy of it "
        "(export it again from the device or the disc)."
    )
    whole = ct_small.read_bytes()
    for keep in (600, 2000, len(whole) - 100, len(whole) - 1):
        cut = tmp_path / f"cut{keep}.dcm"
        cut.write_bytes(whole[:keep])
        assert _problem(cut).code is ProblemCode.TRUNCATED, keep


def test_empty_and_non_dicom_files_have_reasons(tmp_path):
    empty = tmp_path / "empty.dcm"
    empty.write_bytes(b"")
    assert _problem(empty).code is ProblemCode.EMPTY
    html = tmp_path / "page.dcm"
    html.write_text("<!DOCTYPE html><html><body>hi</body></html>")
    assert _problem(html).reason == "This is not a DICOM file (it looks like an HTML web page)."


def test_dicomdir_is_a_skip_not_an_error():
    assert _problem(data_file("DICOMDIR")).code is ProblemCode.DICOMDIR


def test_damaged_value_names_the_tag():
    assert _problem(data_file("badVR.dcm")).reason == (
        "The file's count of images (frames) is damaged, so it cannot be shown. "
        "Technical detail: (0028,0008) Number of Frames."
    )


def test_unknown_vr_is_refused(tmp_path):
    path = make_image(tmp_path / "vr.dcm")
    data = path.read_bytes()
    marker = b"\x08\x00\x30\x10LO"  # (0008,1030) StudyDescription, explicit VR LO
    assert data.count(marker) == 1
    path.write_bytes(data.replace(marker, b"\x08\x00\x30\x10QQ"))
    problem = _problem(path)
    assert problem.code is ProblemCode.BAD_VR
    assert "(0008,1030)" in problem.reason
    assert "QQ" in problem.reason


def test_nesting_up_to_the_limit_is_fine_and_beyond_it_refused(tmp_path):
    assert summarize(make_nested(tmp_path / "ok.dcm", 32)).sop_instance_uid
    problem = _problem(make_nested(tmp_path / "deep.dcm", 33))
    assert problem.code is ProblemCode.TOO_DEEP
    assert "32 levels" in problem.reason


def test_very_deep_nesting_is_refused_without_recursion(tmp_path):
    deep = make_nested(tmp_path / "abyss.dcm", 20_000)
    assert _problem(deep).code is ProblemCode.TOO_DEEP


def test_recursion_in_pydicom_is_caught_even_when_the_limit_allows_it(tmp_path):
    deep = make_nested(tmp_path / "abyss.dcm", 5_000)
    with pytest.raises(DicomProblem) as caught:
        summarize(deep, max_depth=1_000_000)
    assert caught.value.code is ProblemCode.TOO_DEEP


def test_questionable_values_become_warnings_not_refusals(tmp_path):
    path = make_image(tmp_path / "odd.dcm", extra={"StudyDate": "20241345", "PatientSex": "X", "SeriesNumber": None})
    summary = summarize(path)
    assert summary.study_date is None
    assert summary.sex == ""
    assert set(summary.warnings) >= {
        DicomWarning.of(WarningCode.UNREADABLE_VALUE, tag=0x00080020, keyword="StudyDate"),
        DicomWarning.of(WarningCode.UNREADABLE_VALUE, tag=0x00100040, keyword="PatientSex"),
    }
    with translation.override("en"):
        sentences = file_summary("odd.dcm", summary).warnings
    assert any("“Study date”" in w and "(0008,0020) Study Date" in w for w in sentences)
    assert any("“Sex”" in w and "(0010,0040) Patient's Sex" in w for w in sentences)


def test_implicit_vr_file_reports_its_syntax(tmp_path):
    summary = summarize(make_image(tmp_path / "imp.dcm", implicit=True))
    assert summary.transfer_syntax_uid == IMPLICIT_LE
    assert summary.birth_date == dt.date(1980, 2, 29)
    assert summary.patient_name_display == "Doe, Jane Q"


def test_read_dicom_files_groups_patients_studies_and_series():
    folder = PYDICOM_DATA / "test_files" / "dicomdirtests"
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    result = read_dicom_files([(str(p.relative_to(folder)), p) for p in files])

    expected: dict[tuple[str, str], dict[str, dict[str, set[str]]]] = {}
    for path in files:
        ds = pydicom_reads(path)
        if ds is None or "DirectoryRecordSequence" in ds:
            continue
        patient = expected.setdefault((str(ds.PatientID), str(ds.PatientName)), {})
        patient.setdefault(ds.StudyInstanceUID, {}).setdefault(ds.SeriesInstanceUID, set()).add(ds.SOPInstanceUID)

    found = {
        (p.patient_id, p.patient_name): {
            s.study_instance_uid: {series.series_instance_uid: series.instance_count for series in s.series}
            for s in p.studies
        }
        for p in result.patients
    }
    assert found == {
        key: {study: {series: len(sops) for series, sops in serieses.items()} for study, serieses in studies.items()}
        for key, studies in expected.items()
    }
    assert {p.name for p in result.skipped} == {
        "DICOMDIR",
        "DICOMDIR-bigEnd",
        "DICOMDIR-empty.dcm",
        "DICOMDIR-implicit",
        "DICOMDIR-nooffset",
        "DICOMDIR-nopatient",
        "DICOMDIR-reordered",
        "TINY_ALPHA/DICOMDIR",
    }
    assert {p.name for p in result.problems} == {"README.txt", "TINY_ALPHA/README"}
    assert all(p.code is ProblemCode.NOT_DICOM for p in result.problems)
    assert result.file_count == len(files)
    assert result.instance_count == sum(len(s) for st in expected.values() for se in st.values() for s in se.values())


def test_duplicates_and_problems_in_a_batch(tmp_path, ct_small):
    copy = tmp_path / "again.dcm"
    shutil.copy(ct_small, copy)
    empty = tmp_path / "empty.dcm"
    empty.write_bytes(b"")
    result = read_dicom_files([ct_small, copy, empty, data_file("MR_truncated.dcm")])
    assert result.duplicates == ("again.dcm",)
    assert result.instance_count == 1
    assert [(p.name, p.code) for p in result.problems] == [
        ("empty.dcm", ProblemCode.EMPTY),
        ("MR_truncated.dcm", ProblemCode.TRUNCATED),
    ]
    (patient,) = result.patients
    (study,) = patient.studies
    assert study.modalities == ("CT",)
    assert study.series[0].file_names == ("CT_small.dcm",)


def test_two_series_of_one_study_are_grouped_together(tmp_path):
    study = "1.2.826.0.1.3680043.8.498.1"
    make_image(tmp_path / "a.dcm", study_uid=study, series_uid=study + ".1", sop_uid=study + ".1.1")
    make_image(tmp_path / "b.dcm", study_uid=study, series_uid=study + ".1", sop_uid=study + ".1.2")
    make_image(tmp_path / "c.dcm", study_uid=study, series_uid=study + ".2", sop_uid=study + ".2.1", modality="MR")
    result = read_dicom_files(sorted(tmp_path.iterdir()))
    (patient,) = result.patients
    assert patient.patient_name_display == "Doe, Jane Q"
    assert patient.birth_date == dt.date(1980, 2, 29)
    (group,) = patient.studies
    assert [s.instance_count for s in group.series] == [2, 1]
    assert group.modalities == ("CT", "MR")
    assert group.instance_count == 3


def test_file_summary_for_the_contract(ct_small, tmp_path):
    ok = file_summary("a.dcm", summarize(ct_small))
    assert isinstance(ok, t.DicomFileSummary)
    assert ok.readable
    assert ok.patient_name == "CompressedSamples^CT1"
    assert ok.study_date == "2004-01-19"
    empty = tmp_path / "e.dcm"
    empty.write_bytes(b"")
    bad = file_summary("e.dcm", _problem(empty))
    assert not bad.readable
    assert bad.reason == "The file is empty."


def _as_pydicom_alone(path):
    """What ``summarize`` made of a file before its two short cuts: pydicom's ``dcmread`` of
    the whole header (meta included) and every value converted by pydicom."""
    import os
    from unittest import mock

    from pydicom.filereader import dcmread

    from postdicom.dicom import read
    from postdicom.dicom.sniff import sniff_open

    def whole_header(fp, sniffed, **kwargs):
        header = original(fp, sniffed, **kwargs)
        start = sniffed.start
        if start.has_meta and not start.encoding.deflated:
            fp.seek(0)
            dataset = dcmread(fp, force=True, stop_before_pixels=True, defer_size=read.DEFER_BYTES)
            header = read.Header(dataset, header.layout, header.sniffed)
        return header

    original = read.read_header
    with (
        open(path, "rb") as fp,
        mock.patch.object(read._Reader, "_plain", return_value=read._NOT_PLAIN),
    ):
        sniffed = sniff_open(fp, os.fstat(fp.fileno()).st_size)
        try:
            return read.summary_of(whole_header(fp, sniffed))
        except DicomProblem as problem:
            return problem.code


@pytest.mark.parametrize("path", shipped_files(), ids=label)
def test_the_short_cuts_summarize_as_pydicom_alone_does(path):
    """Reading the data set from where the sniff found it, and taking plain values without
    pydicom's conversion (``read._Reader._plain``), change nothing of any summary: its
    values, its warnings and its refusals, in every file pydicom ships (Japanese, Korean,
    Chinese, Greek, Arabic, Hebrew and Russian names among them)."""
    try:
        fast: object = summarize(path)
    except DicomProblem as problem:
        fast = problem.code
    assert fast == _as_pydicom_alone(path)


@pytest.mark.parametrize(
    "extra",
    [
        {"PatientSex": "m", "Modality": "ct "},  # lower case: CS as it is, as pydicom leaves it
        {"AccessionNumber": "A" * 17},  # longer than SH allows: pydicom warns
        {"InstitutionName": "I" * 65},  # longer than LO allows
        {"PatientName": "A^B^C^D^E^F"},  # six components
        {"PatientName": "Doe^John=Doe^John"},  # two component groups
        {"SeriesNumber": "1.0"},  # not an integer string
        {"SeriesNumber": "1234567890123"},  # too long for IS
        {"StudyDescription": "Chest\\Abdomen"},  # two values
        {"StudyDescription": "CT\tThorax"},  # a control character
        {"PatientID": "ID\x00\x00"},  # NUL padding
        {"StudyInstanceUID": "1.2.3 \x00 \x00"},  # spaces and NULs after a UID
        {"SpecificCharacterSet": "ISO 2022 IR 13", "PatientName": "Yamada^Tarou"},
    ],
    ids=lambda extra: ",".join(extra),
)
def test_odd_plain_values_summarize_as_pydicom_alone_does(tmp_path, extra):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = make_image(tmp_path / "odd.dcm", extra=extra)
    try:
        fast: object = summarize(path)
    except DicomProblem as problem:
        fast = problem.code
    assert fast == _as_pydicom_alone(path)
