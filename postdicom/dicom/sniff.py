"""Is this file DICOM? Decided from its first bytes, never from its name.

* A Part 10 file: 128-byte preamble, ``DICM``, File Meta Information. Only the meta is read.
* A file without preamble or meta (old exports, pydicom's ``no_meta.dcm``): its first elements
  must parse, and its top-level data set must hold a SOP Instance UID or a Study Instance UID.
  Element headers are walked (see :mod:`postdicom.dicom.layout`); values are skipped.
* A DICOMDIR (Media Storage SOP Class 1.2.840.10008.1.3.10, or a Directory Record Sequence)
  is recognised so that callers skip it; it is not an error.
* Anything else is refused: an empty file, or a file whose name lies (a PNG called ``x.dcm``
  is "not a DICOM file (it looks like a PNG image)").
* A ZIP archive (:func:`is_zip_head`) is told apart first by every caller that expands
  archives. A Part 10 file's 128-byte preamble is free-form and may itself start with
  ``PK\x03\x04`` (a file that is both a ZIP and DICOM, as some viewers write to CDs): ``DICM``
  at offset 128 wins, so such a file is DICOM, never a damaged ZIP.

Nothing here reads pixel data, so a multi-GB file costs a few small reads.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import BinaryIO

from postdicom.dicom import problems
from postdicom.dicom.documents import content_kind
from postdicom.dicom.layout import DICOMDIR_CLASS, DatasetStart, Layout, find_dataset, scan_layout
from postdicom.dicom.problems import DicomProblem, ProblemCode

#: The first four bytes of a ZIP archive (a local file header, an empty archive, a spanned one).
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

#: How much of a file :func:`is_zip_head` needs.
HEAD_FOR_ZIP = 132

SOP_INSTANCE_UID = 0x00080018
STUDY_INSTANCE_UID = 0x0020000D
DIRECTORY_RECORD_SEQUENCE = 0x00041220


class FileKind(StrEnum):
    DICOM = "dicom"
    DICOMDIR = "dicomdir"
    REFUSED = "refused"


@dataclass(frozen=True)
class Sniff:
    """What a file is. ``code`` and ``reason`` say why when it is not a usable DICOM file."""

    kind: FileKind
    size: int
    start: DatasetStart | None = None
    layout: Layout | None = None  # already walked (files without meta), so readers need not walk again
    code: ProblemCode | None = None
    reason: str = ""
    params: Mapping[str, str | int] = field(default_factory=dict, compare=False)

    @property
    def is_dicom(self) -> bool:
        return self.kind is FileKind.DICOM

    def problem(self) -> DicomProblem:
        """The refusal (or the DICOMDIR skip) as an exception; only when not :attr:`is_dicom`."""
        assert self.code is not None
        return DicomProblem(self.code, self.reason, self.params)


def is_zip_head(head: bytes) -> bool:
    """Whether a file starting with ``head`` (at least its first :data:`HEAD_FOR_ZIP` bytes
    when it has them) is a ZIP archive: ZIP's signature, and not ``DICM`` at offset 128."""
    return head.startswith(ZIP_MAGICS) and head[128:132] != b"DICM"


def _refused(size: int, problem: DicomProblem) -> Sniff:
    return Sniff(FileKind.REFUSED, size, code=problem.code, reason=problem.reason, params=problem.params)


def sniff_open(fp: BinaryIO, size: int) -> Sniff:
    """:func:`sniff` on an open binary file of ``size`` bytes."""
    if size == 0:
        return _refused(size, problems.empty_file())
    try:
        start = find_dataset(fp, size)
    except DicomProblem as problem:
        return _refused(size, problem)
    if start is None:
        fp.seek(0)
        return _refused(size, problems.not_dicom(content_kind(fp.read(4096))))
    if start.media_storage_sop_class == DICOMDIR_CLASS:
        skip = problems.dicomdir()
        return Sniff(FileKind.DICOMDIR, size, start, code=skip.code, reason=skip.reason)
    if start.has_meta:
        return Sniff(FileKind.DICOM, size, start)
    # No meta: only a data set that identifies an instance or a study counts as DICOM.
    try:
        layout = scan_layout(fp, start, size)
    except DicomProblem as problem:
        return _refused(size, problem)
    tags = layout.top_level_tags
    if DIRECTORY_RECORD_SEQUENCE in tags:
        skip = problems.dicomdir()
        return Sniff(FileKind.DICOMDIR, size, start, layout, code=skip.code, reason=skip.reason)
    if SOP_INSTANCE_UID in tags or STUDY_INSTANCE_UID in tags:
        return Sniff(FileKind.DICOM, size, start, layout)
    fp.seek(0)
    return _refused(size, problems.not_dicom(content_kind(fp.read(4096))))


def sniff(path: str | os.PathLike[str]) -> Sniff:
    """What the file at ``path`` is; never raises for a bad file (an unopenable one is refused)."""
    try:
        with open(path, "rb") as fp:
            return sniff_open(fp, os.fstat(fp.fileno()).st_size)
    except OSError:
        return _refused(0, problems.unreadable())
