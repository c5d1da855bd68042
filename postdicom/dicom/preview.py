"""What a DICOM file holds, read before it is sent (ReadDicomFiles), for every backend.

The browser sends only the first bytes of each large file (its header). A header-only file
is read with its real size declared, so the element walk steps over the pixel data it does
not have; compressed pixel data (fragments) cannot be stepped over that way, so the header is
then read without the walk (pydicom stops before the pixel data). A header longer than what
was sent is reported as "checked when sent", never as a damaged file, and a UID the part
read does not reach (a large private element may come before it) is "not within the part
read", never "missing". Which order a file would join is the backend's to say
(``postdicom.local.uploads.preview``, ``postdicom.cloud.uploads``).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.dicom import problems
from postdicom.dicom.layout import Layout, scan_layout
from postdicom.dicom.problems import DicomProblem, ProblemCode, uid_name
from postdicom.dicom.read import DicomSummary, file_summary, read_header, summarize, summary_of
from postdicom.dicom.sniff import Sniff, sniff_open

logger = logging.getLogger(__name__)

_INCOMPLETE = (ProblemCode.TRUNCATED, ProblemCode.DAMAGED, ProblemCode.DAMAGED_VALUE)


class _Unchecked(DicomProblem):
    """Only the header was sent, and it was not enough to read the file."""


def _incomplete() -> DicomProblem:
    return _Unchecked(
        ProblemCode.TRUNCATED,
        _("The beginning of this file was not enough to read it; it will be checked when it is sent."),
    )


def _beyond_head(problem: DicomProblem) -> DicomProblem:
    """A required UID the part read did not reach: it may well be further on."""
    keyword = str(problem.params.get("keyword", ""))
    return _Unchecked(
        ProblemCode.MISSING_UID,
        _("The %(name)s is not within the part of the file read for this preview; it will be checked when it is sent.")
        % {"name": uid_name(keyword)},
        problem.params,
    )


def summarize_head(path: str, size: int) -> DicomSummary:
    """The summary of a file of ``size`` bytes of which ``path`` holds the beginning."""
    with open(path, "rb") as fp:
        sniffed = sniff_open(fp, size)
        whole = True  # whether the element walk reached the end of the data set
        if sniffed.is_dicom and sniffed.layout is None and sniffed.start is not None:
            try:
                layout = scan_layout(fp, sniffed.start, size)
            except DicomProblem as problem:
                if problem.code is not ProblemCode.TRUNCATED:
                    raise
                whole = False
                layout = Layout(
                    sniffed.start, size, 0, None, None, scanned=False, top_level_tags=frozenset(),
                    encoding=sniffed.start.encoding,
                )  # fmt: skip
            sniffed = Sniff(sniffed.kind, size, sniffed.start, layout)
        try:
            return summary_of(read_header(fp, sniffed))
        except DicomProblem as problem:
            if problem.code is ProblemCode.MISSING_UID and not whole:
                raise _beyond_head(problem) from None
            raise


def read_summary(upload: t.UploadFile) -> DicomSummary | DicomProblem:
    try:
        if upload.head_only:
            return summarize_head(upload.path, upload.size)
        return summarize(upload.path)
    except DicomProblem as problem:
        if upload.head_only and problem.code in _INCOMPLETE:
            return _incomplete()
        return problem
    except OSError:
        return problems.unreadable()
    except Exception:  # a header cut inside the file meta trips the reader: never a 500
        logger.info("Preview of %s failed", upload.name, exc_info=True)
        if upload.head_only:
            return _incomplete()
        return problems.damaged()


def summary_for(
    name: str,
    outcome: DicomSummary | DicomProblem,
    order: t.OrderSummary | None,
    accession_taken: bool | None = False,
) -> t.DicomFileSummary:
    """The file's summary; ``accession_taken`` None: the backend cannot tell (only said of a
    readable file that makes a new order)."""
    summary = file_summary(name, outcome, order=order, checked=not isinstance(outcome, _Unchecked))
    if accession_taken is False or order is not None or not isinstance(outcome, DicomSummary):
        return summary
    return replace(summary, accession_taken=accession_taken)
