"""A synthetic CT volume for the viewer's tests and benchmark: a chest-like phantom (air,
soft tissue, two lungs, a spine) in Hounsfield units, one uncompressed file per slice, with the
geometry (positions, orientation, spacing) that stacking and MPR need."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import dcmwrite
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid


def phantom_slice(size: int, z: float) -> np.ndarray:
    """One axial slice in HU; the body tapers along ``z`` (0…1) so that slices differ."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    hu = np.full((size, size), -1000.0, dtype=np.float32)
    body = (x / (0.42 - 0.05 * z)) ** 2 + (y / 0.3) ** 2 < 1
    hu[body] = 40.0
    for cx in (-0.17, 0.17):
        lung = ((x - cx) / 0.12) ** 2 + ((y + 0.02) / (0.18 - 0.05 * z)) ** 2 < 1
        hu[lung] = -800.0
    spine = (x / 0.05) ** 2 + ((y - 0.2) / 0.05) ** 2 < 1
    hu[spine] = 700.0
    return hu


def write_ct_volume(
    folder: Path,
    *,
    slices: int = 40,
    size: int = 128,
    patient_name: str = "PHANTOM^Chest",
    patient_id: str = "PH-1",
    study_uid: str | None = None,
    study_date: str = "20261120",
    description: str = "CT chest phantom",
    accession: str = "",
) -> list[Path]:
    """Write ``slices`` files into ``folder`` (one series, one study) and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    study_uid = study_uid or generate_uid()
    series_uid = generate_uid()
    frame_of_reference = generate_uid()
    paths = []
    for index in range(slices):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.FrameOfReferenceUID = frame_of_reference
        ds.PatientName = patient_name
        ds.PatientID = patient_id
        ds.PatientBirthDate = "19700101"
        ds.PatientSex = "M"
        ds.StudyDate = ds.SeriesDate = study_date
        ds.StudyTime = "101500"
        ds.StudyDescription = description
        ds.SeriesDescription = "Axial 2 mm"
        ds.AccessionNumber = accession
        ds.Modality = "CT"
        ds.SeriesNumber = 2
        ds.InstanceNumber = index + 1
        ds.InstitutionName = "Phantom Hospital"
        ds.ReferringPhysicianName = ""
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [-size / 2, -size / 2, -2.0 * index]
        ds.SliceLocation = -2.0 * index
        ds.SliceThickness = 2
        ds.PixelSpacing = [1, 1]
        ds.Rows = ds.Columns = size
        ds.BitsAllocated = 16
        ds.BitsStored = 12
        ds.HighBit = 11
        ds.PixelRepresentation = 0
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.RescaleIntercept = -1024
        ds.RescaleSlope = 1
        ds.WindowCenter = 40
        ds.WindowWidth = 400
        stored = np.clip(phantom_slice(size, index / max(1, slices - 1)) + 1024, 0, 4095).astype("<u2")
        ds.PixelData = stored.tobytes()
        path = folder / f"slice{index:04d}.dcm"
        dcmwrite(path, ds, enforce_file_format=True)
        paths.append(path)
    return paths
