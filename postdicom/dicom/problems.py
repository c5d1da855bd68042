"""Why a file cannot be used, as a stable code for programs and a sentence for clinic staff.

Every helper in :mod:`postdicom.dicom` raises :class:`DicomProblem` (and nothing else) for a
file it refuses. ``code`` never changes, so the ingest can store it and tests can compare it;
``reason`` is translated with the language active when the problem is raised (the request's,
or the one a Celery task activates).
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext as _


class ProblemCode(StrEnum):
    """What went wrong with a file, independent of the language."""

    EMPTY = "empty"
    NOT_DICOM = "not_dicom"
    DICOMDIR = "dicomdir"
    TRUNCATED = "truncated"
    TOO_DEEP = "too_deep"
    BAD_VR = "bad_vr"
    DAMAGED = "damaged"
    DAMAGED_VALUE = "damaged_value"
    MISSING_UID = "missing_uid"
    UNREADABLE = "unreadable"


class DicomProblem(Exception):
    """A file was refused; ``reason`` is safe to show to clinic staff."""

    def __init__(self, code: ProblemCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason

    def __repr__(self) -> str:
        return f"DicomProblem({self.code.value!r}, {self.reason!r})"


def tag_label(tag: int, keyword: str = "") -> str:
    """``(0010,0010) PatientName`` — how a tag is named in messages."""
    text = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    return f"{text} {keyword}" if keyword else text


def empty_file() -> DicomProblem:
    return DicomProblem(ProblemCode.EMPTY, _("The file is empty."))


def not_dicom(looks_like: str = "") -> DicomProblem:
    if looks_like:
        return DicomProblem(
            ProblemCode.NOT_DICOM,
            _("This is not a DICOM file (it looks like %(kind)s).") % {"kind": looks_like},
        )
    return DicomProblem(ProblemCode.NOT_DICOM, _("This is not a DICOM file."))


def dicomdir() -> DicomProblem:
    return DicomProblem(
        ProblemCode.DICOMDIR,
        _("This is a DICOMDIR (the index of a CD or DVD), not an image; it is skipped."),
    )


def truncated() -> DicomProblem:
    return DicomProblem(ProblemCode.TRUNCATED, _("The file is cut short (it may not have finished uploading)."))


def too_deep(limit: int) -> DicomProblem:
    return DicomProblem(
        ProblemCode.TOO_DEEP,
        _("The file nests sequences more than %(limit)d levels deep, which no real image does; it is refused.")
        % {"limit": limit},
    )


def bad_vr(tag: int, vr: str) -> DicomProblem:
    return DicomProblem(
        ProblemCode.BAD_VR,
        _("The file is damaged: tag %(tag)s has an unknown value type “%(vr)s”.") % {"tag": tag_label(tag), "vr": vr},
    )


def damaged(detail: str = "") -> DicomProblem:
    if detail:
        return DicomProblem(
            ProblemCode.DAMAGED, _("The file is damaged and cannot be read (%(detail)s).") % {"detail": detail}
        )
    return DicomProblem(ProblemCode.DAMAGED, _("The file is damaged and cannot be read."))


def damaged_value(tag: int, keyword: str) -> DicomProblem:
    return DicomProblem(
        ProblemCode.DAMAGED_VALUE, _("A damaged value in tag %(tag)s.") % {"tag": tag_label(tag, keyword)}
    )


def missing_uid(keyword: str) -> DicomProblem:
    names = {
        "StudyInstanceUID": _("Study Instance UID"),
        "SeriesInstanceUID": _("Series Instance UID"),
        "SOPInstanceUID": _("SOP Instance UID"),
    }
    return DicomProblem(
        ProblemCode.MISSING_UID,
        _("This DICOM file has no %(name)s, so it cannot be filed with a study.")
        % {"name": names.get(keyword, keyword)},
    )


def unreadable() -> DicomProblem:
    return DicomProblem(ProblemCode.UNREADABLE, _("The file could not be opened."))
