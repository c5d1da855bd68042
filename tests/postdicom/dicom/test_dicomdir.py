"""The DICOMDIR made from index rows: pydicom's FileSet reads it back and finds every image."""

from __future__ import annotations

import datetime as dt

import pydicom
from pydicom.fileset import FileSet

from postdicom.dicom import dicomdir as d

CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
EXPLICIT = "1.2.840.10008.1.2.1"


def _patients() -> list[d.Patient]:
    ct = [d.Image(f"1.2.3.4.{i}", CT, EXPLICIT) for i in range(1, 4)]
    return [
        d.Patient(
            "P1",
            "Παπαδόπουλος^Γιάννης=山田^太郎",
            dt.date(1980, 1, 2),
            "M",
            [
                d.Study(
                    "1.2.3",
                    dt.date(2026, 1, 1),
                    dt.time(10, 0),
                    "Tórax",
                    "AN-1",
                    [d.Series("1.2.3.4", "CT", 2, ct), d.Series("1.2.3.5", "", None, [d.Image("1.2.3.5.1", CT, "")])],
                ),
                d.Study(
                    "1.2.4", None, None, "", "", [d.Series("1.2.4.1", "MR", 1, [d.Image("1.2.4.1.1", MR, EXPLICIT)])]
                ),
            ],
        ),
        d.Patient(
            "P2", "Doe^John", None, "", [d.Study("1.2.9", None, None, "", "", [d.Series("1.2.9.1", "MR", 3, [])])]
        ),
    ]


def test_filesets_read_it_back(tmp_path):
    (tmp_path / "DICOMDIR").write_bytes(d.build(_patients()))
    ds = pydicom.dcmread(tmp_path / "DICOMDIR")
    for record in ds.DirectoryRecordSequence:  # FileSet leaves out instances whose file is absent
        if "ReferencedFileID" in record:
            path = tmp_path.joinpath(*record.ReferencedFileID)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
    assert ds.file_meta.MediaStorageSOPClassUID == d.MEDIA_STORAGE_DIRECTORY
    fileset = FileSet(ds)
    found = {i.SOPInstanceUID: i.ReferencedFileID for i in fileset}
    assert found == {
        "1.2.3.4.1": ["DICOM", "P0000001", "S0000001", "SE000001", "I0000001"],
        "1.2.3.4.2": ["DICOM", "P0000001", "S0000001", "SE000001", "I0000002"],
        "1.2.3.4.3": ["DICOM", "P0000001", "S0000001", "SE000001", "I0000003"],
        "1.2.3.5.1": ["DICOM", "P0000001", "S0000001", "SE000002", "I0000001"],
        "1.2.4.1.1": ["DICOM", "P0000001", "S0000002", "SE000001", "I0000001"],
    }
    patients = fileset.find_values("PatientID")
    assert patients == ["P1"]  # P2 has no image, so no instance of FileSet's
    (first,) = fileset.find(SOPInstanceUID="1.2.3.4.2")
    assert first.InstanceNumber == 2
    assert first.ReferencedTransferSyntaxUIDInFile == EXPLICIT
    (untyped,) = fileset.find(SOPInstanceUID="1.2.3.5.1")
    assert untyped.ReferencedTransferSyntaxUIDInFile == EXPLICIT  # unknown: as stored by default
    records = ds.DirectoryRecordSequence
    patient = records[0]
    assert str(patient.PatientName) == "Παπαδόπουλος^Γιάννης=山田^太郎"
    assert patient.SpecificCharacterSet == "ISO_IR 192"
    study = records[1]
    assert (study.StudyID, study.StudyDate, study.StudyDescription) == ("1", "20260101", "Tórax")
    first, second = [r for r in records if r.DirectoryRecordType == "PATIENT"]
    assert first.OffsetOfTheNextDirectoryRecord == second.seq_item_tell
    assert second.OffsetOfTheNextDirectoryRecord == 0  # the last at its level


def test_every_offset_points_at_a_record(tmp_path):
    (tmp_path / "DICOMDIR").write_bytes(d.build(_patients()))
    ds = pydicom.dcmread(tmp_path / "DICOMDIR")
    starts = {record.seq_item_tell for record in ds.DirectoryRecordSequence}
    assert ds.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity == min(starts)
    assert ds.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity in starts
    for record in ds.DirectoryRecordSequence:
        for offset in (record.OffsetOfTheNextDirectoryRecord, record.OffsetOfReferencedLowerLevelDirectoryEntity):
            assert offset == 0 or offset in starts


def test_an_empty_fileset(tmp_path):
    (tmp_path / "DICOMDIR").write_bytes(d.build([]))
    assert len(FileSet(pydicom.dcmread(tmp_path / "DICOMDIR"))) == 0
