"""What a DICOM file holds: one file (:func:`summarize`) or a batch (:func:`read_dicom_files`).

``summarize`` sniffs the file, walks its element headers (truncation, nesting, VRs: see
:mod:`postdicom.dicom.layout`), then lets pydicom read the header only: it stops before the
pixel data and leaves any other value over 1 MiB on disk, so a 2 GB file costs kilobytes.
Text is decoded with the file's Specific Character Set (Japanese, Greek, Arabic, Russian…
names keep their letters).

``read_dicom_files`` is PostDICOM's ReadDicomFiles: patients → studies → series with instance
counts, files that cannot be used with the reason, and DICOMDIRs skipped. For very large
batches feed :class:`DicomGrouper` from :func:`iter_summaries` instead of keeping every result.

Warnings (``DicomSummary.warnings``) are :class:`~postdicom.dicom.problems.DicomWarning`
codes and parameters (worded in any language later) about values that were questionable but
did not stop the file (an unreadable date, characters that could not be decoded). pydicom
reports them through :mod:`warnings`, which is captured per call; the capture is
process-wide, so call this from one thread per process (as Celery's prefork pool and the web
workers do).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

from pydicom import datadict
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filereader import dcmread, read_dataset
from pydicom.multival import MultiValue
from pydicom.uid import UID

from postdicom import types as t
from postdicom.dicom import problems
from postdicom.dicom.layout import MAX_DEPTH, PIXEL_TAGS, Layout, scan_layout
from postdicom.dicom.names import readable_name
from postdicom.dicom.problems import DicomProblem, DicomWarning, ProblemCode, WarningCode
from postdicom.dicom.sniff import DIRECTORY_RECORD_SEQUENCE, Sniff, sniff_open

logger = logging.getLogger(__name__)

#: Values larger than this (other than the pixel data, never read) stay on disk.
DEFER_BYTES = 1 << 20

StrPath = str | os.PathLike[str]

_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")


@dataclass(frozen=True)
class DicomSummary:
    """The tags the upload preview and the index need, decoded."""

    patient_name: str  # as stored, decoded: "Yamada^Tarou=山田^太郎=やまだ^たろう"
    patient_name_display: str  # "Yamada, Tarou (山田, 太郎 / やまだ, たろう)"
    patient_id: str
    birth_date: dt.date | None
    sex: str  # "M", "F", "O" or ""
    modality: str
    sop_class_uid: str
    study_instance_uid: str
    series_instance_uid: str
    sop_instance_uid: str
    study_date: dt.date | None
    study_time: dt.time | None
    study_description: str
    accession_number: str
    series_number: int | None
    series_description: str
    institution_name: str
    transfer_syntax_uid: str
    number_of_frames: int  # 0 when the file has no pixel data
    burned_in_annotation: str  # "YES", "NO" or "" (not stated)
    has_pixel_data: bool
    has_file_meta: bool
    character_set: str  # Specific Character Set, values joined with "\"
    file_size: int
    warnings: tuple[DicomWarning, ...] = ()
    #: What DICOMweb serves from the file's header (its DICOM JSON and where its pixel data
    #: lies), made from this same reading when asked (``summarize(describe=True)``).
    described: t.InstanceHeader | None = field(default=None, compare=False, repr=False)


# --- reading the header ------------------------------------------------------------------------------


def _at_pixel_data(tag: Any, vr: str | None, length: int) -> bool:
    return int(tag) in PIXEL_TAGS


@dataclass
class Header:
    """A file's data set as pydicom read it (no pixel data), with its layout."""

    dataset: Dataset
    layout: Layout
    sniffed: Sniff
    notes: list[str] = field(default_factory=list)  # pydicom's own warnings while reading


def read_header(fp: BinaryIO, sniffed: Sniff, *, defer: bool = True, max_depth: int = MAX_DEPTH) -> Header:
    """Read the data set before the pixel data; raise :class:`DicomProblem` for a bad file.

    ``defer`` leaves values over :data:`DEFER_BYTES` unread (the anonymizer reads them all).
    Deflated data sets are read whole, pixel data included: pydicom inflates them in memory.
    """
    if not sniffed.is_dicom:
        raise sniffed.problem()
    start = sniffed.start
    assert start is not None
    layout = sniffed.layout or scan_layout(fp, start, sniffed.size, max_depth)
    if DIRECTORY_RECORD_SEQUENCE in layout.top_level_tags:
        raise problems.dicomdir()
    defer_size = DEFER_BYTES if defer else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if start.has_meta and (start.encoding.deflated or not defer):
                # pydicom inflates a deflated data set; the anonymizer writes the meta back
                fp.seek(0)
                dataset: Dataset = dcmread(
                    fp,
                    force=True,
                    stop_before_pixels=not start.encoding.deflated,
                    defer_size=None if start.encoding.deflated else defer_size,
                )
            else:
                # The sniff has read the meta and found where the data set starts: pydicom reads
                # from there, as ``dcmread`` would after its own reading of the meta (a third
                # of the cost of reading a header, which only its transfer syntax is needed of,
                # and the sniff has it: ``_described`` gives it to the data set when asked).
                fp.seek(start.offset)
                dataset = read_dataset(
                    fp,
                    start.encoding.implicit_vr,
                    start.encoding.little_endian,
                    stop_when=_at_pixel_data,
                    defer_size=defer_size,
                )
        except RecursionError:
            raise problems.too_deep(max_depth) from None
        except DicomProblem:
            raise
        except Exception as error:
            logger.info("pydicom could not read a file: %r", error)
            raise problems.damaged() from error
    if "DirectoryRecordSequence" in dataset:  # a deflated DICOMDIR, which the walk could not see
        raise problems.dicomdir()
    return Header(dataset, layout, sniffed, [str(w.message) for w in caught])


def _meta(transfer_syntax: str) -> FileMetaDataset:
    """The file meta of a data set read without it (``read_header``): its transfer syntax,
    what DICOMweb's description of the pixel data reads (``frames.pixel_location``)."""
    meta = FileMetaDataset()
    meta.TransferSyntaxUID = UID(transfer_syntax)
    return meta


# --- values ------------------------------------------------------------------------------------------


@functools.cache
def _tag(keyword: str) -> int:
    tag = datadict.tag_for_keyword(keyword)
    assert tag is not None
    return tag


_NOT_PLAIN = object()
#: The summary's tags whose plain values ``_Reader._plain`` takes as they are, by their VR.
_PLAIN_VRS: dict[int, str] = {
    _tag(keyword): datadict.dictionary_VR(keyword)
    for keyword in (
        "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "SOPClassUID", "NumberOfFrames",
        "PatientName", "PatientSex", "BurnedInAnnotation", "PatientID", "PatientBirthDate", "Modality",
        "StudyDate", "StudyTime", "StudyDescription", "AccessionNumber", "SeriesNumber",
        "SeriesDescription", "InstitutionName",
    )
}  # fmt: skip
#: Printable ASCII but the backslash (which separates values), then any NUL padding.
_PLAIN_BYTES = re.compile(rb"[\x20-\x5b\x5d-\x7e]*\x00*")
_INTEGER = re.compile(r" *[+-]?[0-9]+ *")
#: What pydicom checks when it converts these VRs (``validate_value`` for SH and LO, the
#: person name's own for PN, ``IS`` for IS): a value passing here is one it would not warn
#: about. The VRs not named here pydicom takes as they are.
_PLAIN_CHECKS: dict[str, Callable[[str], bool]] = {
    "SH": lambda text: len(text) <= 16,
    "LO": lambda text: len(text) <= 64,
    "PN": lambda text: len(text) <= 64 and "=" not in text and text.count("^") <= 4,
    "IS": lambda text: len(text) <= 12 and _INTEGER.fullmatch(text) is not None,
}
#: Specific Character Sets in which an ASCII byte is that ASCII letter.
_ASCII_SETS = frozenset(
    {b"", b"ISO_IR 6", b"ISO_IR 192", b"GB18030", b"GBK"}
    | {f"ISO_IR {n}".encode() for n in (100, 101, 109, 110, 126, 127, 138, 144, 148, 166, 203)}
)


class _Reader:
    """Reads one tag at a time, turning pydicom's complaints into warnings or problems."""

    def __init__(self, dataset: Dataset, caught: list[warnings.WarningMessage]) -> None:
        self.dataset = dataset
        self._caught = caught  # what pydicom warns while the summary is read (one recorder per file)
        self._warnings: dict[int, DicomWarning] = {}  # one per tag: the last (most precise) one wins
        self._ascii: bool | None = None  # ``_ascii_words``, once asked

    @property
    def warnings(self) -> tuple[DicomWarning, ...]:
        return tuple(self._warnings.values())

    def _questionable(self, tag: int, keyword: str) -> None:
        self._warnings[tag] = DicomWarning.of(WarningCode.QUESTIONABLE_VALUE, tag=tag, keyword=keyword)

    def warn_unreadable(self, keyword: str) -> None:
        tag = _tag(keyword)
        self._warnings[tag] = DicomWarning.of(WarningCode.UNREADABLE_VALUE, tag=tag, keyword=keyword)

    def raw(self, keyword: str, *, essential: bool = False) -> Any:
        tag = _tag(keyword)
        plain = self._plain(tag)
        if plain is not _NOT_PLAIN:
            return plain
        before = len(self._caught)
        try:
            element = self.dataset.get(keyword)
        except Exception:
            if essential:
                raise problems.damaged_value(tag, keyword) from None
            self.warn_unreadable(keyword)
            return None
        if len(self._caught) > before:
            self._questionable(tag, keyword)
        return element

    def _plain(self, tag: int) -> Any:
        """The value of ``tag`` when it is plain, without pydicom's conversion (most of the
        cost of a summary): a single value of printable ASCII (NUL padding aside) of a text
        VR, in the VR the dictionary gives, short enough for it, and for the VRs whose words
        depend on the character set, in one where ASCII is ASCII. That is the value pydicom
        would give, and one pydicom does not warn about. None when the tag is absent;
        ``_NOT_PLAIN`` for anything else, which pydicom converts (``raw``)."""
        element = self.dataset.get_item(tag, keep_deferred=True)
        if element is None:
            return None
        if not isinstance(element, RawDataElement) or not isinstance(element.value, bytes):
            return _NOT_PLAIN
        vr = _PLAIN_VRS.get(tag)
        if vr is None or element.VR not in (None, vr):
            return _NOT_PLAIN
        value = element.value
        if _PLAIN_BYTES.fullmatch(value) is None:
            return _NOT_PLAIN
        text = value.decode("ascii").rstrip(" \x00")
        check = _PLAIN_CHECKS.get(vr)
        if check is not None and (not check(text) or not self._ascii_words()):
            return _NOT_PLAIN
        return text

    def _ascii_words(self) -> bool:
        """Whether the character set writes ASCII bytes as ASCII letters (the default, the
        ISO 8859 sets, UTF-8, GB18030/GBK; not JIS X 0201 or ISO 2022 with its escapes)."""
        if self._ascii is None:
            element = self.dataset.get_item(0x00080005, keep_deferred=True)
            if element is None:
                self._ascii = True
            else:
                value = element.value if isinstance(element, RawDataElement) else None
                self._ascii = isinstance(value, bytes) and value.strip(b" \x00") in _ASCII_SETS
        return self._ascii

    def text(self, keyword: str) -> str:
        """The value as text, NUL characters dropped: some writers pad or end values with NUL
        instead of a space, and PostgreSQL cannot store U+0000 in text."""
        value = self.raw(keyword)
        if value is None:
            return ""
        if isinstance(value, MultiValue | list | tuple):
            text = "\\".join(str(v) for v in value)
        elif isinstance(value, bytes):
            text = value.decode("ascii", errors="replace")
        else:
            text = str(value)
        return text.replace("\x00", "").strip()

    def uid(self, keyword: str, *, required: bool) -> str:
        tag = _tag(keyword)
        value = self.raw(keyword, essential=required)
        # Trailing NULs are UI padding; one inside changes the UID, so it stays (and fails the check).
        text = ("" if value is None else str(value)).strip().rstrip("\x00").strip()
        if not text:
            if required:
                raise problems.missing_uid(keyword)
            return ""
        if len(text) > 64 or not _UID.match(text):
            if required:
                raise problems.damaged_value(tag, keyword)
            self._questionable(tag, keyword)
        return text

    def date(self, keyword: str) -> dt.date | None:
        text = self.text(keyword)
        if not text:
            return None
        digits = text.replace(".", "").replace("-", "")  # ACR-NEMA wrote 2004.01.19
        if len(digits) == 8 and digits.isdigit():
            try:
                return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
            except ValueError:
                pass
        self.warn_unreadable(keyword)
        return None

    def time(self, keyword: str) -> dt.time | None:
        text = self.text(keyword).replace(":", "")
        if not text:
            return None
        whole, _dot, fraction = text.partition(".")
        try:
            if len(whole) not in (2, 4, 6) or not whole.isdigit() or (fraction and not fraction.isdigit()):
                raise ValueError(text)
            hour, minute, second = int(whole[:2]), int(whole[2:4] or 0), int(whole[4:6] or 0)
            micro = int((fraction + "000000")[:6]) if fraction else 0
            return dt.time(hour, minute, min(second, 59), micro)
        except ValueError:
            self.warn_unreadable(keyword)
            return None

    def integer(self, keyword: str, *, essential: bool = False) -> int | None:
        value = self.raw(keyword, essential=essential)
        if value is None or str(value).strip() == "":
            return None
        try:
            return int(str(value).strip())
        except ValueError:
            if essential:
                raise problems.damaged_value(_tag(keyword), keyword) from None
            self.warn_unreadable(keyword)
            return None


def summary_of(header: Header) -> DicomSummary:
    """The :class:`DicomSummary` of a header read by :func:`read_header`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        return _summary(header, _Reader(header.dataset, caught))


def _summary(header: Header, read: _Reader) -> DicomSummary:
    dataset, layout, sniffed = header.dataset, header.layout, header.sniffed
    assert sniffed.start is not None
    sop_instance_uid = read.uid("SOPInstanceUID", required=True)
    study_instance_uid = read.uid("StudyInstanceUID", required=True)
    series_instance_uid = read.uid("SeriesInstanceUID", required=True)
    has_pixels = layout.has_pixel_data if layout.scanned else not PIXEL_TAGS.isdisjoint(map(int, dataset.keys()))
    frames = read.integer("NumberOfFrames", essential=True)
    if frames is None:
        frames = 1 if has_pixels else 0
    elif frames < 1 and has_pixels:
        raise problems.damaged_value(_tag("NumberOfFrames"), "NumberOfFrames")
    patient_name = read.text("PatientName")
    sex = read.text("PatientSex").upper()
    if sex not in ("M", "F", "O"):
        if sex:
            read.warn_unreadable("PatientSex")
        sex = ""
    burned_in = read.text("BurnedInAnnotation").upper()
    return DicomSummary(
        patient_name=patient_name,
        patient_name_display=readable_name(patient_name),
        patient_id=read.text("PatientID"),
        birth_date=read.date("PatientBirthDate"),
        sex=sex,
        modality=read.text("Modality").upper(),
        sop_class_uid=read.uid("SOPClassUID", required=False),
        study_instance_uid=study_instance_uid,
        series_instance_uid=series_instance_uid,
        sop_instance_uid=sop_instance_uid,
        study_date=read.date("StudyDate"),
        study_time=read.time("StudyTime"),
        study_description=read.text("StudyDescription"),
        accession_number=read.text("AccessionNumber"),
        series_number=read.integer("SeriesNumber"),
        series_description=read.text("SeriesDescription"),
        institution_name=read.text("InstitutionName"),
        transfer_syntax_uid=sniffed.start.transfer_syntax,
        number_of_frames=frames,
        burned_in_annotation=burned_in if burned_in in ("YES", "NO") else "",
        has_pixel_data=has_pixels,
        has_file_meta=sniffed.start.has_meta,
        character_set=read.text("SpecificCharacterSet"),
        file_size=sniffed.size,
        warnings=read.warnings,
    )


def summarize(path: StrPath, *, max_depth: int = MAX_DEPTH, describe: bool = False) -> DicomSummary:
    """The summary of one file; raise :class:`DicomProblem` (with a reason) when it is unusable.
    Inside ``summaries_kept`` a file read before in the block is not read again. ``describe``:
    the summary also carries the header as DICOMweb serves it (``described``), made from the
    same reading, for a worker's ingest to keep with the instance, so that nothing reads the
    stored file again for it (docs/decisions.md, "STOW-RS round 5")."""
    kept: dict[tuple[int, ...], DicomSummary] | None = getattr(_kept, "summaries", None)
    try:
        with open(path, "rb") as fp:
            stat = os.fstat(fp.fileno())
            key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, max_depth)
            if kept is not None and key in kept and (not describe or kept[key].described is not None):
                return kept.pop(key)
            sniffed = sniff_open(fp, stat.st_size)
            header = read_header(fp, sniffed, max_depth=max_depth)
            summary = summary_of(header)
            if describe:
                summary = replace(summary, described=_described(fp, header, summary.transfer_syntax_uid))
    except OSError:
        raise problems.unreadable() from None
    if kept is not None:
        kept[key] = summary
    return summary


def _described(fp: BinaryIO, header: Header, transfer_syntax: str) -> t.InstanceHeader | None:
    """The header as DICOMweb serves it, from this reading; None where this reading is not
    the one ``described.describe`` makes (no file meta, deflated, not walked in place) or
    pydicom cannot convert a value: the worker, or the first request needing it, reads the
    stored file then (``postdicom.local.images.headers``)."""
    from postdicom.dicom.described import described

    start, layout = header.sniffed.start, header.layout
    if start is None or not start.has_meta or start.encoding.deflated or not layout.scanned:
        return None
    header.dataset.file_meta = _meta(start.transfer_syntax)  # read from the data set's start
    fp.seek(layout.pixel_start if layout.pixel_start is not None else layout.file_size)
    try:
        return described(header.dataset, fp, transfer_syntax)
    except (ValueError, TypeError, KeyError, AttributeError, EOFError, OSError):
        return None


_kept = threading.local()


@contextmanager
def summaries_kept() -> Iterator[None]:
    """In this block (this thread), a file's summary is read once: the next ``summarize`` of
    the same file takes the one kept (once). A STOW-RS request reads each part's header to
    answer with its UIDs, then the ingest in the same request would read it again. The file
    is known by its device, inode, size and modification time, which a rename into the
    upload's folder keeps and a rewrite changes; what is kept is dropped when the block ends,
    so a number freed by a deleted file and reused later can never match."""
    outer = getattr(_kept, "summaries", None)
    if outer is not None:  # nested: the outer block keeps them
        yield
        return
    _kept.summaries = {}
    try:
        yield
    finally:
        _kept.summaries = None


# --- a batch -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileProblem:
    """A file of the batch that was not used, and why."""

    name: str
    code: ProblemCode
    reason: str


@dataclass(frozen=True)
class SeriesGroup:
    series_instance_uid: str
    series_number: int | None
    series_description: str
    modality: str
    instance_count: int  # distinct SOP Instance UIDs
    file_names: tuple[str, ...]


@dataclass(frozen=True)
class StudyGroup:
    study_instance_uid: str
    study_date: dt.date | None
    study_time: dt.time | None
    study_description: str
    accession_number: str
    institution_name: str
    transfer_syntaxes: tuple[str, ...]
    series: tuple[SeriesGroup, ...]

    @property
    def modalities(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.modality for s in self.series if s.modality))

    @property
    def instance_count(self) -> int:
        return sum(s.instance_count for s in self.series)


@dataclass(frozen=True)
class PatientGroup:
    patient_id: str
    patient_name: str  # as stored
    patient_name_display: str
    birth_date: dt.date | None
    sex: str
    studies: tuple[StudyGroup, ...]


@dataclass(frozen=True)
class DicomReadResult:
    """ReadDicomFiles: what a batch of files holds."""

    patients: tuple[PatientGroup, ...]
    problems: tuple[FileProblem, ...]  # unusable files, with the reason
    skipped: tuple[FileProblem, ...]  # DICOMDIR files: skipped, not errors
    duplicates: tuple[str, ...]  # names of files whose SOP Instance UID came earlier in the batch
    file_count: int

    @property
    def study_count(self) -> int:
        return sum(len(p.studies) for p in self.patients)

    @property
    def instance_count(self) -> int:
        return sum(s.instance_count for p in self.patients for s in p.studies)


@dataclass
class _Series:
    first: DicomSummary
    sop_uids: set[str] = field(default_factory=set)
    names: list[str] = field(default_factory=list)


@dataclass
class _Study:
    first: DicomSummary
    patient_key: tuple[str, str]
    series: dict[str, _Series] = field(default_factory=dict)
    syntaxes: dict[str, None] = field(default_factory=dict)


class DicomGrouper:
    """Builds a :class:`DicomReadResult` one file at a time (keeps counts and names only)."""

    def __init__(self) -> None:
        self._patients: dict[tuple[str, str], DicomSummary] = {}
        self._studies: dict[str, _Study] = {}
        self._problems: list[FileProblem] = []
        self._skipped: list[FileProblem] = []
        self._duplicates: list[str] = []
        self._seen: set[str] = set()
        self._count = 0

    def add(self, name: str, outcome: DicomSummary | DicomProblem) -> None:
        self._count += 1
        if isinstance(outcome, DicomProblem):
            target = self._skipped if outcome.code is ProblemCode.DICOMDIR else self._problems
            target.append(FileProblem(name, outcome.code, outcome.reason))
            return
        summary = outcome
        if summary.sop_instance_uid in self._seen:
            self._duplicates.append(name)
            return
        self._seen.add(summary.sop_instance_uid)
        study = self._studies.get(summary.study_instance_uid)
        if study is None:
            key = (summary.patient_id, summary.patient_name)
            self._patients.setdefault(key, summary)
            study = self._studies[summary.study_instance_uid] = _Study(summary, key)
        study.syntaxes[summary.transfer_syntax_uid] = None
        series = study.series.setdefault(summary.series_instance_uid, _Series(summary))
        series.sop_uids.add(summary.sop_instance_uid)
        series.names.append(name)

    def result(self) -> DicomReadResult:
        by_patient: dict[tuple[str, str], list[StudyGroup]] = {key: [] for key in self._patients}
        for uid, study in self._studies.items():
            series = sorted(
                (
                    SeriesGroup(
                        series_instance_uid=series_uid,
                        series_number=s.first.series_number,
                        series_description=s.first.series_description,
                        modality=s.first.modality,
                        instance_count=len(s.sop_uids),
                        file_names=tuple(s.names),
                    )
                    for series_uid, s in study.series.items()
                ),
                key=lambda g: (g.series_number is None, g.series_number or 0, g.series_instance_uid),
            )
            first = study.first
            by_patient[study.patient_key].append(
                StudyGroup(
                    study_instance_uid=uid,
                    study_date=first.study_date,
                    study_time=first.study_time,
                    study_description=first.study_description,
                    accession_number=first.accession_number,
                    institution_name=first.institution_name,
                    transfer_syntaxes=tuple(study.syntaxes),
                    series=tuple(series),
                )
            )
        patients = []
        for key, studies in by_patient.items():
            first = self._patients[key]
            studies.sort(key=lambda s: (s.study_date or dt.date.min, s.study_instance_uid))
            patients.append(
                PatientGroup(
                    patient_id=first.patient_id,
                    patient_name=first.patient_name,
                    patient_name_display=first.patient_name_display,
                    birth_date=first.birth_date,
                    sex=first.sex,
                    studies=tuple(studies),
                )
            )
        patients.sort(key=lambda p: (p.patient_name_display.casefold(), p.patient_id))
        return DicomReadResult(
            patients=tuple(patients),
            problems=tuple(self._problems),
            skipped=tuple(self._skipped),
            duplicates=tuple(self._duplicates),
            file_count=self._count,
        )


def _name_and_path(item: StrPath | tuple[str, StrPath]) -> tuple[str, StrPath]:
    if isinstance(item, tuple):
        return item
    return os.path.basename(os.fspath(item)), item


def iter_summaries(
    files: Iterable[StrPath | tuple[str, StrPath]], *, max_depth: int = MAX_DEPTH
) -> Iterator[tuple[str, DicomSummary | DicomProblem]]:
    """(name, summary or problem) for each file; items are paths or (display name, path) pairs."""
    for item in files:
        name, path = _name_and_path(item)
        try:
            yield name, summarize(path, max_depth=max_depth)
        except DicomProblem as problem:
            yield name, problem


def read_dicom_files(files: Iterable[StrPath | tuple[str, StrPath]], *, max_depth: int = MAX_DEPTH) -> DicomReadResult:
    """ReadDicomFiles: patients → studies → series → instance counts, plus the unusable files."""
    grouper = DicomGrouper()
    for name, outcome in iter_summaries(files, max_depth=max_depth):
        grouper.add(name, outcome)
    return grouper.result()


def file_summary(
    name: str,
    outcome: DicomSummary | DicomProblem,
    *,
    order: t.OrderSummary | None = None,
    checked: bool = True,
) -> t.DicomFileSummary:
    """The contract's per-file :class:`postdicom.types.DicomFileSummary` for one outcome.
    ``order`` is the order the file would join; ``checked`` False marks a problem found in
    a partial read (the whole file is checked again when it is sent)."""
    if isinstance(outcome, DicomProblem):
        return t.DicomFileSummary(
            name=name,
            readable=False,
            reason=outcome.reason,
            skipped=outcome.code is ProblemCode.DICOMDIR,
            checked=checked,
        )
    return t.DicomFileSummary(
        name=name,
        readable=True,
        patient_name=outcome.patient_name,
        patient_id=outcome.patient_id,
        birth_date=outcome.birth_date.isoformat() if outcome.birth_date else "",
        modality=outcome.modality,
        study_uid=outcome.study_instance_uid,
        study_date=outcome.study_date.isoformat() if outcome.study_date else "",
        study_description=outcome.study_description,
        series_uid=outcome.series_instance_uid,
        sop_instance_uid=outcome.sop_instance_uid,
        sex=outcome.sex,
        accession_number=outcome.accession_number,
        series_number=outcome.series_number,
        series_description=outcome.series_description,
        burned_in_annotation=outcome.burned_in_annotation,
        warnings=tuple(warning.sentence for warning in outcome.warnings),  # in the request's language
        order=order,
    )


__all__ = [
    "DicomGrouper",
    "DicomReadResult",
    "DicomSummary",
    "FileProblem",
    "Header",
    "PatientGroup",
    "SeriesGroup",
    "StudyGroup",
    "file_summary",
    "iter_summaries",
    "read_dicom_files",
    "read_header",
    "summarize",
    "summary_of",
]
