"""Modality (0008,0060): the codes DICOM defines for the kind of equipment or data.

``DEFINED_TERMS`` is the list of defined terms of DICOM PS3.3 C.7.3.1.1.1 "Modality" (2024
editions), without the retired ones (CD, DD, DF, DM, DS, EC, FA, FS, LP, MA, MS, OPR, ST, VF,
CF, VL…: no device sends them for a new order). An order's modality is one of them, so that
a worklist never offers a modality a device cannot understand. :func:`modality_problem` is the
one place where a refused code is worded, for the order form and the service alike.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

#: DICOM PS3.3 C.7.3.1.1.1, defined terms (current, not retired), with what each means.
DEFINED_TERMS: dict[str, str] = {
    "ANN": "Annotation",
    "AR": "Autorefraction",
    "ASMT": "Content Assessment Results",
    "AU": "Audio",
    "BDUS": "Bone Densitometry (ultrasound)",
    "BI": "Biomagnetic imaging",
    "BMD": "Bone Densitometry (X-Ray)",
    "CFM": "Confocal Microscopy",
    "CR": "Computed Radiography",
    "CT": "Computed Tomography",
    "CTPROTOCOL": "CT Protocol (Performed)",
    "DMS": "Dermoscopy",
    "DG": "Diaphanography",
    "DOC": "Document",
    "DX": "Digital Radiography",
    "ECG": "Electrocardiography",
    "EEG": "Electroencephalography",
    "EMG": "Electromyography",
    "EOG": "Electrooculography",
    "EPS": "Cardiac Electrophysiology",
    "ES": "Endoscopy",
    "FID": "Fiducials",
    "GM": "General Microscopy",
    "HC": "Hard Copy",
    "HD": "Hemodynamic Waveform",
    "IO": "Intra-Oral Radiography",
    "IOL": "Intraocular Lens Data",
    "IVOCT": "Intravascular Optical Coherence Tomography",
    "IVUS": "Intravascular Ultrasound",
    "KER": "Keratometry",
    "KO": "Key Object Selection",
    "LEN": "Lensometry",
    "LS": "Laser surface scan",
    "M3D": "Model for 3D Manufacturing",
    "MG": "Mammography",
    "MR": "Magnetic Resonance",
    "NM": "Nuclear Medicine",
    "OAM": "Ophthalmic Axial Measurements",
    "OCT": "Optical Coherence Tomography (non-Ophthalmic)",
    "OP": "Ophthalmic Photography",
    "OPM": "Ophthalmic Mapping",
    "OPT": "Ophthalmic Tomography",
    "OPTBSV": "Ophthalmic Tomography B-scan Volume Analysis",
    "OPTENF": "Ophthalmic Tomography En Face",
    "OPV": "Ophthalmic Visual Field",
    "OSS": "Optical Surface Scan",
    "OT": "Other",
    "PA": "Photoacoustic",
    "PLAN": "Plan",
    "POS": "Position Sensor",
    "PR": "Presentation State",
    "PT": "Positron emission tomography (PET)",
    "PX": "Panoramic X-Ray",
    "REG": "Registration",
    "RESP": "Respiratory Waveform",
    "RF": "Radio Fluoroscopy",
    "RG": "Radiographic imaging (conventional film/screen)",
    "RTDOSE": "Radiotherapy Dose",
    "RTIMAGE": "Radiotherapy Image",
    "RTINTENT": "Radiotherapy Intent",
    "RTPLAN": "Radiotherapy Plan",
    "RTRAD": "RT Radiation",
    "RTRECORD": "RT Treatment Record",
    "RTSEGANN": "Radiotherapy Segment Annotation",
    "RTSTRUCT": "Radiotherapy Structure Set",
    "RWV": "Real World Value Map",
    "SEG": "Segmentation",
    "SM": "Slide Microscopy",
    "SMR": "Stereometric Relationship",
    "SR": "SR Document",
    "SRF": "Subjective Refraction",
    "STAIN": "Automated Slide Stainer",
    "TEXTUREMAP": "Texture Map",
    "TG": "Thermography",
    "US": "Ultrasound",
    "VA": "Visual Acuity",
    "XA": "X-Ray Angiography",
    "XAPROTOCOL": "XA Protocol (Performed)",
    "XC": "External-camera Photography",
}

#: The codes an order form suggests (the usual imaging modalities; all are defined terms).
COMMON: tuple[str, ...] = (
    "CR", "CT", "DX", "ECG", "ES", "IO", "MG", "MR", "NM", "OP", "OT", "PT", "PX", "RF", "US", "XA", "XC",
)  # fmt: skip
assert set(COMMON) <= set(DEFINED_TERMS)


def normalize(code: str) -> str:
    """A code as entered, trimmed and upper-cased ("ct " → "CT")."""
    return (code or "").strip().upper()


def is_defined(code: str) -> bool:
    """Whether ``code`` (already normalized) is one of DICOM's defined terms."""
    return code in DEFINED_TERMS


def modality_problem(code: str) -> str:
    """Why a normalized, non-empty ``code`` is refused, for clinic staff; "" when it is fine."""
    if is_defined(code):
        return ""
    return _("“%(code)s” is not a DICOM modality. Use one of DICOM's codes, like CT, MR, US, CR or DX.") % {
        "code": code
    }
