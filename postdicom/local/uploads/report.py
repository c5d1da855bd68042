"""How far an upload got, and what became of each file (``upload_report``).

A batch is seen by the user who started it and by administrators; for anyone else it does
not exist. Orders are listed, and linked from files, only when the actor can see them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import NotFound
from postdicom.local import convert
from postdicom.local.access import require_active
from postdicom.local.audit import SAME_READ_WITHIN, record_read
from postdicom.local.models import ItemState, UploadBatch, UploadItem
from postdicom.local.orders.search import with_summary_data
from postdicom.local.orders.visibility import visible_orders
from postdicom.local.paging import paginate
from postdicom.local.uploads.notes import note_sentence
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: At most this many refused files are listed on their own; the file pages have all of them.
PROBLEM_LIMIT = 500


def visible_batches(actor: User) -> QuerySet[UploadBatch]:
    role = require_active(actor)
    rows = UploadBatch.objects.all()
    if role is t.Role.ADMINISTRATOR:
        return rows
    return rows.filter(created_by=actor)


def batch_info(batch: UploadBatch) -> t.UploadBatchInfo:
    items = UploadItem.objects.filter(batch=batch)
    counts = {row["state"]: row["n"] for row in items.values("state").annotate(n=Count("id")).order_by()}
    sizes = items.filter(parent=None).aggregate(total=Sum("size"), received=Sum("received"))
    creator = batch.created_by
    return t.UploadBatchInfo(
        id=batch.uuid,
        institution=convert.institution(batch.institution),
        state=t.UploadState(batch.state),
        created_at=batch.created_at,
        created_by=(creator.get_full_name() or creator.get_username()) if creator is not None else "",
        folder_id=batch.folder_uuid,
        anonymized=batch.anonymized,
        basic_profile=batch.basic_profile,
        file_count=sum(counts.values()),
        bytes_total=sizes["total"] or 0,
        bytes_received=sizes["received"] or 0,
        counts=counts,
    )


def build_report(actor: User, batch_id: UUID, page: int, page_size: int) -> t.UploadReport:
    batch = visible_batches(actor).select_related("institution", "created_by").filter(uuid=batch_id).first()
    if batch is None:
        raise NotFound(_("No such upload."))
    # The page refreshes itself while the upload runs: one read per visit, not per refresh.
    record_read(
        actor,
        AuditAction.UPLOAD_REPORT_VIEWED,
        target_type="upload",
        target_id=batch.uuid,
        target_label=batch.institution.name,
        once_within=SAME_READ_WITHIN,
    )
    items = UploadItem.objects.filter(batch=batch)
    order_pks = set(items.exclude(order=None).values_list("order_id", flat=True).distinct())
    orders = with_summary_data(visible_orders(actor).filter(pk__in=order_pks)).order_by("-order_date", "-id")
    summaries = [convert.order_summary(o) for o in orders]
    uuids = {o.pk: o.uuid for o in orders}
    problems = items.filter(state__in=[ItemState.REJECTED, ItemState.CONFLICT]).order_by("id")[:PROBLEM_LIMIT]
    return t.UploadReport(
        batch=batch_info(batch),
        orders=tuple(summaries),
        problems=tuple(convert.upload_file_state(i, uuids) for i in problems),
        notes=tuple(note_sentence(n) for n in batch.notes or ()),
        files=paginate(items.order_by("id"), page, page_size, lambda i: convert.upload_file_state(i, uuids)),
    )
