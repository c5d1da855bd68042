"""Why a file cannot be used, as a stable code for programs and a sentence for clinic staff.

Every helper in :mod:`postdicom.dicom` raises :class:`DicomProblem` (and nothing else) for a
file it refuses; ZIP archives (:mod:`postdicom.dicom.archives`) report their refusals with the
same codes. A problem is a ``code`` that never changes plus the few ``params`` its sentence
needs (numbers, tag keywords, a kind of file as a key: nothing in a human language), so the
sentence can be made again in any language later: :func:`sentence` is the one place where
each code's sentence is written. ``reason`` is that sentence in the language active when the
problem was raised (the request's, or the worker's); the upload report stores ``code`` and
:meth:`DicomProblem.stored` instead and shows :func:`stored_sentence` in the reader's language.

Warnings about a file that was kept (a questionable value, patient details that may be burned
into the pixels) work the same way: a :class:`DicomWarning` is a :class:`WarningCode` plus
language-neutral params, :func:`warning_sentence` is the one place where each warning's
sentence is written, ``UploadItem.warnings`` stores :meth:`DicomWarning.stored` and the report
shows :func:`stored_warning_sentence` in the reader's language.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypedDict

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydicom import datadict

from postdicom.dicom.documents import kind_label

#: What a sentence may be given: numbers and language-neutral text (keys, keywords, UIDs).
Params = Mapping[str, str | int]


class ProblemCode(StrEnum):
    """What went wrong with a file, independent of the language (at most 20 characters:
    ``UploadItem.code`` stores it)."""

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
    LOST = "lost"
    CONFLICT = "conflict"  # another image with this SOP Instance UID is in the order
    # ZIP archives: the whole archive…
    ZIP_DAMAGED = "zip_damaged"
    ZIP_TOO_MANY = "zip_too_many"
    ZIP_TOO_LARGE = "zip_too_large"
    # …or one of its members
    ZIP_UNSAFE_NAME = "zip_unsafe_name"
    ZIP_SYMLINK = "zip_symlink"
    ZIP_NESTED = "zip_nested"
    ZIP_ENCRYPTED = "zip_encrypted"
    ZIP_UNSUPPORTED = "zip_unsupported"
    ZIP_MEMBER_DAMAGED = "zip_member_damaged"
    ZIP_RATIO = "zip_ratio"


class DicomProblem(Exception):
    """A file was refused; ``reason`` is safe to show to clinic staff."""

    def __init__(self, code: ProblemCode, reason: str, params: Params | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.params: dict[str, str | int] = dict(params or {})

    @classmethod
    def of(cls, code: ProblemCode, **params: str | int) -> DicomProblem:
        """The problem ``code`` with its sentence in the active language."""
        return cls(code, sentence(code, params), params)

    def stored(self) -> str:
        """``params`` as a short JSON object, to keep beside the code (``UploadItem.reason``)
        and turn into a sentence later with :func:`stored_sentence`."""
        return stored_params(self.params, self.reason)

    def __repr__(self) -> str:
        return f"DicomProblem({self.code.value!r}, {self.reason!r})"


def tag_label(tag: int, keyword: str = "") -> str:
    """``(0010,0010) PatientName`` — how a tag is named in messages."""
    text = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    return f"{text} {keyword}" if keyword else text


def _element_name(tag: int, keyword: str) -> str:
    """The standard's name of an element ("SOP Instance UID"), else its keyword."""
    try:
        return str(datadict.dictionary_description(tag)) or keyword
    except KeyError:
        return keyword


def technical_detail(tag: int, keyword: str = "") -> str:
    """The tag for the technician, after the sentence for clinic staff:
    "Technical detail: (0008,0018) SOP Instance UID."."""
    return _("Technical detail: %(tag)s.") % {"tag": tag_label(tag, _element_name(tag, keyword))}


def _with_detail(text: str, tag: int, keyword: str = "") -> str:
    return f"{text} {technical_detail(tag, keyword)}"


#: Details ``damaged`` can name, by key (for the technician).
_DAMAGE_DETAILS = {
    "compressed_without_syntax": gettext_lazy("compressed pixel data without a transfer syntax"),
}

#: What a missing or damaged identifier means to clinic staff, by keyword.
_UID_DAMAGED = {
    "StudyInstanceUID": gettext_lazy(
        "The study's unique identifier in this file is damaged, so the image cannot be filed with its study."
    ),
    "SeriesInstanceUID": gettext_lazy(
        "The series' unique identifier in this file is damaged, so the image cannot be filed with its series."
    ),
    "SOPInstanceUID": gettext_lazy("The image's unique identifier is damaged, so the image cannot be stored."),
}
_UID_MISSING = {
    "StudyInstanceUID": gettext_lazy(
        "This file does not say which study it belongs to (its unique identifier is missing), so it cannot be filed."
    ),
    "SeriesInstanceUID": gettext_lazy(
        "This file does not say which series it belongs to (its unique identifier is missing), so it cannot be filed."
    ),
    "SOPInstanceUID": gettext_lazy("The image has no unique identifier, so it cannot be stored."),
}

#: Names of the values an image's summary reads, in clinic words, by keyword.
_VALUE_NAMES = {
    "PatientName": gettext_lazy("Patient name"),
    "PatientID": gettext_lazy("Patient ID"),
    "PatientBirthDate": gettext_lazy("Birth date"),
    "PatientSex": gettext_lazy("Sex"),
    "StudyDate": gettext_lazy("Study date"),
    "StudyTime": gettext_lazy("Study time"),
    "StudyDescription": gettext_lazy("Study description"),
    "SeriesDescription": gettext_lazy("Series description"),
    "AccessionNumber": gettext_lazy("Accession number"),
    "Modality": gettext_lazy("Modality"),
    "ReferringPhysicianName": gettext_lazy("Referring physician"),
    "InstitutionName": gettext_lazy("Institution name"),
    "SeriesNumber": gettext_lazy("Series number"),
    "InstanceNumber": gettext_lazy("Image number"),
    "NumberOfFrames": gettext_lazy("Number of frames"),
    "BodyPartExamined": gettext_lazy("Body part"),
}


def _tag_of(p: Params) -> tuple[int, str]:
    """The ``tag`` and ``keyword`` params (``KeyError`` when one is missing)."""
    return int(p["tag"]), str(p["keyword"])


def _not_dicom(p: Params) -> str:
    kind = kind_label(str(p.get("kind", "")))
    if kind:
        return _("This is not a DICOM file (it looks like %(kind)s).") % {"kind": kind}
    return _("This is not a DICOM file.")


def _damaged(p: Params) -> str:
    detail = _DAMAGE_DETAILS.get(str(p.get("detail", "")))
    if detail is not None:
        return _("The file is damaged and cannot be read. Technical detail: %(detail)s.") % {"detail": detail}
    return _("The file is damaged and cannot be read.")


def _damaged_value(p: Params) -> str:
    tag, keyword = _tag_of(p)
    if keyword in _UID_DAMAGED:
        return _with_detail(str(_UID_DAMAGED[keyword]), tag, keyword)
    if keyword == "NumberOfFrames":
        return _with_detail(_("The file's count of images (frames) is damaged, so it cannot be shown."), tag, keyword)
    name = _VALUE_NAMES.get(keyword)
    if name is not None:
        return _with_detail(
            _("The value of “%(name)s” in this file is damaged, so the file cannot be stored.") % {"name": name},
            tag,
            keyword,
        )
    return _with_detail(_("A value in this file is damaged, so the file cannot be stored."), tag, keyword)


#: The UIDs a file is filed by, in words (the preview names the one it did not reach).
_UID_NAMES = {
    "StudyInstanceUID": gettext_lazy("Study Instance UID"),
    "SeriesInstanceUID": gettext_lazy("Series Instance UID"),
    "SOPInstanceUID": gettext_lazy("SOP Instance UID"),
}


def uid_name(keyword: str) -> str:
    """ "Study Instance UID" for ``StudyInstanceUID``, in the active language."""
    return str(_UID_NAMES.get(keyword, keyword))


def _missing_uid(p: Params) -> str:
    keyword = str(p["keyword"])
    tag = datadict.tag_for_keyword(keyword) or 0
    text = _UID_MISSING.get(keyword)
    if text is None:
        return _with_detail(_("A unique identifier is missing from this file, so it cannot be filed."), tag, keyword)
    return _with_detail(str(text), tag, keyword)


def _bad_vr(p: Params) -> str:
    return _("The file is damaged and cannot be read. Technical detail: tag %(tag)s has an unknown type “%(vr)s”.") % {
        "tag": tag_label(int(p["tag"])),
        "vr": p["vr"],
    }


#: Every code's sentence, written once.
_SENTENCES: dict[str, Callable[[Params], str]] = {
    ProblemCode.EMPTY: lambda p: _("The file is empty."),
    ProblemCode.NOT_DICOM: _not_dicom,
    ProblemCode.DICOMDIR: lambda p: _("This is a DICOMDIR (the index of a CD or DVD), not an image; it is skipped."),
    ProblemCode.TRUNCATED: lambda p: _(
        "The file is incomplete: it ends before its last element. Send a complete copy of it "
        "(export it again from the device or the disc)."
    ),
    ProblemCode.TOO_DEEP: lambda p: (
        _(
            "The file is built in a way no real image is (more than %(limit)d levels nested inside each other); "
            "it is refused."
        )
        % {"limit": int(p["limit"])}
    ),
    ProblemCode.BAD_VR: _bad_vr,
    ProblemCode.DAMAGED: _damaged,
    ProblemCode.DAMAGED_VALUE: _damaged_value,
    ProblemCode.MISSING_UID: _missing_uid,
    ProblemCode.UNREADABLE: lambda p: _("The file could not be opened."),
    ProblemCode.LOST: lambda p: _("The file was lost on the server before it could be stored; please send it again."),
    ProblemCode.CONFLICT: lambda p: _with_detail(
        _(
            "A different image with the same identifier is already stored in this order, "
            "so this file was not stored. Ask whoever made the images which one is right."
        ),
        0x00080018,
        "SOPInstanceUID",
    ),
    ProblemCode.ZIP_DAMAGED: lambda p: _("This ZIP archive is damaged or is not a ZIP archive."),
    ProblemCode.ZIP_TOO_MANY: lambda p: (
        _("This ZIP archive holds more than %(limit)d files; split it into smaller archives.")
        % {"limit": int(p["limit"])}
    ),
    ProblemCode.ZIP_TOO_LARGE: lambda p: (
        _("This ZIP archive unpacks to more than %(size)s; split it into smaller archives.") % {"size": p["size"]}
    ),
    ProblemCode.ZIP_UNSAFE_NAME: lambda p: _(
        "This file's path in the archive points outside it, so it was not extracted."
    ),
    ProblemCode.ZIP_SYMLINK: lambda p: _("This is a link to another file, not a file."),
    ProblemCode.ZIP_NESTED: lambda p: _(
        "This is a ZIP archive inside the ZIP archive; it was not opened. Upload it on its own."
    ),
    ProblemCode.ZIP_ENCRYPTED: lambda p: _("This file is protected with a password; unpack it and upload the files."),
    ProblemCode.ZIP_UNSUPPORTED: lambda p: _("This file is packed with a method that cannot be read."),
    ProblemCode.ZIP_MEMBER_DAMAGED: lambda p: _("This file is damaged inside the archive."),
    ProblemCode.ZIP_RATIO: lambda p: (
        _(
            "This file unpacks to more than %(ratio)d times its packed size, as only "
            "“ZIP bombs” do; it was not extracted."
        )
        % {"ratio": int(p["ratio"])}
    ),
}


def sentence(code: ProblemCode | str, params: Params | None = None) -> str:
    """The sentence for clinic staff that ``code`` with ``params`` stands for, in the active
    language. Raises ``KeyError`` for an unknown code or a missing parameter."""
    return _SENTENCES[code](params or {})


#: The longest stored form (``UploadItem.reason``).
STORED_LIMIT = 500


def stored_params(params: Params, reason: str) -> str:
    """``params`` as a short JSON object; ``reason`` itself in the (unexpected) case where
    they do not fit, so that something readable is kept."""
    text = json.dumps(dict(params), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text if len(text) <= STORED_LIMIT else reason[:STORED_LIMIT]


def stored_sentence(code: str, stored: str) -> str:
    """The sentence for a code and the parameters ``stored_params`` made, in the active
    language. Anything else (no code, a row written before codes had parameters, a code of
    a newer version) is shown as it was stored."""
    if not code or code not in _SENTENCES or not stored.startswith("{"):
        return stored
    try:
        params = json.loads(stored)
        return sentence(code, params) if isinstance(params, dict) else stored
    except (ValueError, KeyError, TypeError):
        return stored


def empty_file() -> DicomProblem:
    return DicomProblem.of(ProblemCode.EMPTY)


def not_dicom(looks_like: str = "") -> DicomProblem:
    """``looks_like``: what the file looks like, as a key of
    :func:`postdicom.dicom.documents.content_kind` ("png", "html"…), or ""."""
    return (
        DicomProblem.of(ProblemCode.NOT_DICOM, kind=looks_like)
        if looks_like
        else DicomProblem.of(ProblemCode.NOT_DICOM)
    )


def dicomdir() -> DicomProblem:
    return DicomProblem.of(ProblemCode.DICOMDIR)


def truncated() -> DicomProblem:
    return DicomProblem.of(ProblemCode.TRUNCATED)


def too_deep(limit: int) -> DicomProblem:
    return DicomProblem.of(ProblemCode.TOO_DEEP, limit=limit)


def bad_vr(tag: int, vr: str) -> DicomProblem:
    return DicomProblem.of(ProblemCode.BAD_VR, tag=tag, vr=vr)


def damaged(detail: str = "") -> DicomProblem:
    """``detail``: a key of ``_DAMAGE_DETAILS`` ("compressed_without_syntax"), or ""."""
    return DicomProblem.of(ProblemCode.DAMAGED, detail=detail) if detail else DicomProblem.of(ProblemCode.DAMAGED)


def damaged_value(tag: int, keyword: str) -> DicomProblem:
    return DicomProblem.of(ProblemCode.DAMAGED_VALUE, tag=tag, keyword=keyword)


def missing_uid(keyword: str) -> DicomProblem:
    return DicomProblem.of(ProblemCode.MISSING_UID, keyword=keyword)


def unreadable() -> DicomProblem:
    return DicomProblem.of(ProblemCode.UNREADABLE)


def lost() -> DicomProblem:
    """The received file vanished before it was stored (see ``ingest._recover``)."""
    return DicomProblem.of(ProblemCode.LOST)


def conflict() -> DicomProblem:
    """The order already holds another image with the file's SOP Instance UID (different
    bytes, and different pixel data too): not a duplicate, and not stored."""
    return DicomProblem.of(ProblemCode.CONFLICT)


# --- warnings about files that were kept -------------------------------------------------------------


class WarningCode(StrEnum):
    """What is questionable about a file that was kept, independent of the language."""

    QUESTIONABLE_VALUE = "questionable_value"  # params: tag, keyword
    UNREADABLE_VALUE = "unreadable_value"  # params: tag, keyword
    BURNED_IN = "burned_in"  # the file says patient details are burned into its pixels
    BURNED_IN_UNSTATED = "burned_in_unstated"  # params: modality ("" for a secondary capture)
    PATIENT_DIFFERS = "patient_differs"  # params: fields (keys of _PATIENT_FIELDS, comma-separated)


class StoredWarning(TypedDict):
    """A warning as ``UploadItem.warnings`` keeps it (JSON)."""

    code: str
    params: dict[str, str | int]


@dataclass(frozen=True)
class DicomWarning:
    """A warning about a file that was kept: ``code`` and its sentence's ``params`` (kept as
    sorted pairs so that warnings can be compared and deduplicated). ``str()`` is the
    sentence in the active language."""

    code: WarningCode
    pairs: tuple[tuple[str, str | int], ...] = ()

    @classmethod
    def of(cls, code: WarningCode, **params: str | int) -> DicomWarning:
        return cls(code, tuple(sorted(params.items())))

    @property
    def params(self) -> dict[str, str | int]:
        return dict(self.pairs)

    @property
    def sentence(self) -> str:
        """The sentence for clinic staff, in the active language."""
        return warning_sentence(self.code, self.params)

    def stored(self) -> StoredWarning:
        """What ``UploadItem.warnings`` keeps, to be worded later by :func:`stored_warning_sentence`."""
        return {"code": self.code.value, "params": self.params}

    def __str__(self) -> str:
        return self.sentence


def _burned_in_unstated(p: Params) -> str:
    modality = str(p.get("modality", ""))
    if not modality:
        return _(
            "This captured or scanned image does not say whether patient details are burned into its pixels, "
            "as they often are in such images. Check it before sharing."
        )
    return _(
        "This %(modality)s image does not say whether patient details are burned into its pixels, "
        "as they often are in such images. Check it before sharing."
    ) % {"modality": modality}


def _value_warning(p: Params, named: str, unnamed: str) -> str:
    tag, keyword = _tag_of(p)
    name = _VALUE_NAMES.get(keyword)
    text = named % {"name": name} if name is not None else unnamed
    return _with_detail(text, tag, keyword)


#: The patient details an image may disagree with its order on, by key.
_PATIENT_FIELDS = {
    "patient_id": gettext_lazy("patient ID"),
    "patient_name": gettext_lazy("name"),
    "birth_date": gettext_lazy("birth date"),
    "sex": gettext_lazy("sex"),
}


def _patient_differs(p: Params) -> str:
    keys = [key for key in str(p.get("fields", "")).split(",") if key]
    fields = ", ".join(str(_PATIENT_FIELDS.get(key, key)) for key in keys)
    return _(
        "The patient details in this image differ from its order's (%(fields)s). "
        "Check that the image belongs to this patient."
    ) % {"fields": fields}


#: Every warning's sentence, written once.
_WARNING_SENTENCES: dict[str, Callable[[Params], str]] = {
    WarningCode.QUESTIONABLE_VALUE: lambda p: _value_warning(
        p,
        _("The value of “%(name)s” in this file is not written the standard way; it was kept as it is."),
        _("A value in this file is not written the standard way; it was kept as it is."),
    ),
    WarningCode.UNREADABLE_VALUE: lambda p: _value_warning(
        p,
        _("The value of “%(name)s” in this file could not be read; it was left out."),
        _("A value in this file could not be read; it was left out."),
    ),
    WarningCode.BURNED_IN: lambda p: _(
        "This image says patient details are burned into its pixels; they cannot be removed. Check it before sharing."
    ),
    WarningCode.BURNED_IN_UNSTATED: _burned_in_unstated,
    WarningCode.PATIENT_DIFFERS: _patient_differs,
}


def warning_sentence(code: WarningCode | str, params: Params | None = None) -> str:
    """The sentence for clinic staff that the warning ``code`` with ``params`` stands for, in
    the active language. Raises ``KeyError`` for an unknown code or a missing parameter."""
    return _WARNING_SENTENCES[code](params or {})


def stored_warning_sentence(stored: object) -> str:
    """The sentence for one entry of ``UploadItem.warnings``, in the active language. A plain
    string (a row written before warnings had codes) is shown as it was stored; an entry this
    version cannot word (a code of a newer version, missing parameters) shows its code."""
    if isinstance(stored, str):
        return stored
    if not isinstance(stored, dict):
        return str(stored)
    code, params = stored.get("code"), stored.get("params", {})
    try:
        if isinstance(code, str) and isinstance(params, dict):
            return warning_sentence(code, params)
    except (KeyError, TypeError, ValueError):
        pass
    return str(code or "")
