"""ReadDicomFiles on the local backend: which orders files would join. What each file holds is
read by ``postdicom.dicom.preview``, which the cloud backend shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Q
from django.db.models.functions import Upper

from postdicom import types as t
from postdicom.dicom.preview import read_summary, summary_for
from postdicom.dicom.read import DicomSummary
from postdicom.local import convert
from postdicom.local.access import require_active
from postdicom.local.models import Institution, PatientOrder
from postdicom.local.orders.search import with_summary_data
from postdicom.local.uploads.indexing import joinable_orders

if TYPE_CHECKING:
    from django.contrib.auth.models import User


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
    outcomes = [(f.name, read_summary(f)) for f in files]
    readable = [o for _name, o in outcomes if isinstance(o, DicomSummary)]
    by_study, by_accession, taken = _joined_orders(actor, institution_id, readable)
    results = []
    for name, outcome in outcomes:
        order, accession_taken = None, False
        if isinstance(outcome, DicomSummary):
            accession = outcome.accession_number.strip()[:16].upper()
            order = by_study.get(outcome.study_instance_uid) or by_accession.get(accession)
            accession_taken = order is None and accession in taken
        results.append(summary_for(name, outcome, order, accession_taken))
    return tuple(results)
