"""ReadDicomFiles: what files hold before they are sent, and which orders they would join.

The browser sends only the first bytes of each large file (its header). A header-only file
is read with its real size declared, so the element walk steps over the pixel data it does
not have; compressed pixel data (fragments) cannot be stepped over that way, so the header is
then read without the walk (pydicom stops before the pixel data). A header longer than what
was sent is reported as "checked when sent", never as a damaged file, and a UID the part
read does not reach (a large private element may come before it) is "not within the part
read", never "missing".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.dicom import problems
from postdicom.dicom.layout import Layout, scan_layout
from postdicom.dicom.problems import DicomProblem, ProblemCode, uid_name
from postdicom.dicom.read import DicomSummary, file_summary, read_header, summarize, summary_of
from postdicom.dicom.sniff import Sniff, sniff_open
from postdicom.local import convert
from postdicom.local.access import require_active
from postdicom.local.models import Institution, PatientOrder
from postdicom.local.orders.search import with_summary_data
from postdicom.local.uploads.indexing import joinable_orders

if TYPE_CHECKING:
    from django.contrib.auth.models import User

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


def _summarize(upload: t.UploadFile) -> DicomSummary | DicomProblem:
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


def _file_summary(
    name: str, outcome: DicomSummary | DicomProblem, order: t.OrderSummary | None, accession_taken: bool = False
) -> t.DicomFileSummary:
    summary = file_summary(name, outcome, order=order, checked=not isinstance(outcome, _Unchecked))
    return replace(summary, accession_taken=True) if accession_taken else summary


def _joined_orders(
    actor: User, institution_id: UUID | None, summaries: list[DicomSummary]
) -> tuple[dict[str, t.OrderSummary], dict[str, t.OrderSummary], set[str]]:
    """(by study UID, by upper-cased accession number) the orders files would join: the ones
    the ingest would join (``indexing.joinable_orders``: in the chosen institution, already
    visible to the actor), and the upper-cased accession numbers a new order could not take
    (another order of the institution, unseen or in the recycle bin, holds them)."""
    institution = None
    if institution_id is not None:
        institution = Institution.objects.filter(uuid=institution_id).values_list("pk", flat=True).first()
    if institution is None:
        return {}, {}, set()
    study_uids = {s.study_instance_uid for s in summaries}
    accessions = {s.accession_number.strip()[:16].upper() for s in summaries if s.accession_number.strip()}
    joinable = joinable_orders(actor, institution)
    by_study: dict[str, t.OrderSummary] = {}
    if study_uids:
        rows = with_summary_data(joinable.filter(studies__study_uid__in=study_uids).distinct()).order_by("id")
        for order in rows.prefetch_related("studies"):
            summary = convert.order_summary(order)
            for study in order.studies.all():
                if study.study_uid in study_uids:
                    by_study.setdefault(study.study_uid, summary)
    by_accession: dict[str, t.OrderSummary] = {}
    taken: set[str] = set()
    if accessions:
        rows = with_summary_data(
            joinable.annotate(acc=Upper("accession_number")).filter(Q(acc__in=accessions))
        ).order_by("-status", "id")  # "scheduled" sorts after "images_received": scheduled wins
        for order in rows:
            by_accession.setdefault(order.accession_number.upper(), convert.order_summary(order))
        taken = set(
            PatientOrder.objects.annotate(acc=Upper("accession_number"))
            .filter(institution_id=institution, acc__in=accessions - by_accession.keys())
            .values_list("acc", flat=True)
        )
    return by_study, by_accession, taken


def read_files(
    actor: User, files: Sequence[t.UploadFile], institution_id: UUID | None
) -> tuple[t.DicomFileSummary, ...]:
    require_active(actor)
    outcomes = [(f.name, _summarize(f)) for f in files]
    readable = [o for _name, o in outcomes if isinstance(o, DicomSummary)]
    by_study, by_accession, taken = _joined_orders(actor, institution_id, readable)
    results = []
    for name, outcome in outcomes:
        order, accession_taken = None, False
        if isinstance(outcome, DicomSummary):
            accession = outcome.accession_number.strip()[:16].upper()
            order = by_study.get(outcome.study_instance_uid) or by_accession.get(accession)
            accession_taken = order is None and accession in taken
        results.append(_file_summary(name, outcome, order, accession_taken))
    return tuple(results)
