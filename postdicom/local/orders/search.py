"""Finding orders (GetPatientOrderList and its variants).

Two queries per page whatever the filters: a count and the page itself, which selects the
institution and link group and prefetches the flags (one more query for all of them).
On PostgreSQL the name filter uses the trigram index on ``patient_name_search`` and the
ID filters the ``UPPER(…) text_pattern_ops`` indexes made by migration 0002.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import InvalidInput
from postdicom.local import convert
from postdicom.local.audit import record_read
from postdicom.local.folders.membership import in_folder
from postdicom.local.models import (
    DocumentRecord,
    Folder,
    InstanceRecord,
    OrderFlag,
    OrderGroupAssignment,
    OrderUserAssignment,
    PatientOrder,
)
from postdicom.local.orders.names import long_enough, query_words
from postdicom.local.orders.visibility import visible_orders
from postdicom.local.paging import MAX_PAGE_SIZE
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# OrderQuery.sort → model field; every sort ends with the newest first, then the id, so
# that paging is stable.
_SORT_FIELDS: dict[str, str] = {
    "patient_name": "patient_name_search",
    "patient_id": "patient_id",
    "order_date": "order_date",
    "modality": "modality",
    "accession_number": "accession_number",
    "status": "status",
    "institution": "institution__name",
}
assert set(_SORT_FIELDS) == set(t.ORDER_SORTS)


def with_summary_data(rows: QuerySet[PatientOrder]) -> QuerySet[PatientOrder]:
    """What ``convert.order_summary`` reads, fetched up front (no query per row)."""
    flags = OrderFlag.objects.select_related("flag__group")
    return rows.select_related("institution", "group").prefetch_related(Prefetch("order_flags", queryset=flags))


def assigned_to(actor: User) -> Q:
    """Orders assigned to ``actor`` directly or through one of their user groups."""
    direct = OrderUserAssignment.objects.filter(order=OuterRef("pk"), user=actor)
    via_group = OrderGroupAssignment.objects.filter(order=OuterRef("pk"), user_group__members=actor)
    return Q(Exists(direct)) | Q(Exists(via_group))


# Statuses sort in the order an order goes through them, not alphabetically.
_STATUS_RANK = Case(
    *(When(status=s.value, then=Value(rank)) for rank, s in enumerate(t.OrderStatus)),
    default=Value(len(t.OrderStatus)),
    output_field=IntegerField(),
)


def _order_by(sort: str) -> list[str | OrderBy]:
    key = sort.strip() or "-order_date"
    descending = key.startswith("-")
    field = _SORT_FIELDS.get(key.removeprefix("-"))
    if field is None:
        raise InvalidInput({"sort": _("Orders cannot be sorted by “%(sort)s”.") % {"sort": sort}})
    first: str | OrderBy = f"-{field}" if descending else field
    if field == "status":
        first = _STATUS_RANK.desc() if descending else _STATUS_RANK.asc()
    if field == "order_date":
        # Orders without a time come after the timed ones of their day, either way.
        time = F("order_time").desc(nulls_last=True) if descending else F("order_time").asc(nulls_last=True)
        return [first, time, "-id" if descending else "id"]
    return [first, "-order_date", "-id"]


def _check(query: t.OrderQuery) -> None:
    errors: dict[str, str] = {}
    if query.patient_name.strip() and not long_enough(query.patient_name):
        errors["patient_name"] = _("Type at least %(n)d characters of the name.") % {"n": t.MIN_NAME_SEARCH}
    if query.date_from and query.date_to and query.date_from > query.date_to:
        errors["date_to"] = _("The end date is before the start date.")
    if query.birth_date_from and query.birth_date_to and query.birth_date_from > query.birth_date_to:
        errors["birth_date_to"] = _("The end date is before the start date.")
    if errors:
        raise InvalidInput(errors)


def _in_folder(rows: QuerySet[PatientOrder], actor: User, folder_id: UUID, *, below: bool) -> QuerySet[PatientOrder]:
    """GetPatientOrderListInFolder: keep the orders filed in the actor's folder, or also below
    it (see ``postdicom.local.folders.membership.in_folder``)."""
    return in_folder(rows, actor, folder_id, below=below)


def filtered(actor: User, query: t.OrderQuery) -> QuerySet[PatientOrder]:
    """The visible, live orders matching every filter of ``query`` (not yet sorted)."""
    _check(query)
    rows = visible_orders(actor)
    for word in query_words(query.patient_name):
        rows = rows.filter(patient_name_search__contains=word)
    for field in ("patient_id", "other_patient_id", "accession_number"):
        value = " ".join(getattr(query, field).split())
        if value:
            exact = field == "patient_id" and query.exact_patient_id
            rows = rows.filter(**{f"{field}__{'iexact' if exact else 'istartswith'}": value})
    if query.modalities:
        rows = rows.filter(modality__in=[m.strip().upper() for m in query.modalities])
    if query.institution_ids:
        rows = rows.filter(institution__uuid__in=query.institution_ids)
    if query.date_from:
        rows = rows.filter(order_date__gte=query.date_from)
    if query.date_to:
        rows = rows.filter(order_date__lte=query.date_to)
    if query.birth_date_from:
        rows = rows.filter(birth_date__gte=query.birth_date_from)
    if query.birth_date_to:
        rows = rows.filter(birth_date__lte=query.birth_date_to)
    if query.statuses:
        rows = rows.filter(status__in=[t.OrderStatus(s).value for s in query.statuses])
    # has_flags narrows to the flagged orders through a small partial index; the EXISTS
    # keeps the answer exact (see PatientOrder.has_flags).
    if query.flag_id is not None:
        with_flag = OrderFlag.objects.filter(order=OuterRef("pk"), flag__uuid=query.flag_id)
        rows = rows.filter(Exists(with_flag), has_flags=True)
    if query.flagged:
        rows = rows.filter(Exists(OrderFlag.objects.filter(order=OuterRef("pk"))), has_flags=True)
    if query.assigned_to_me:
        rows = rows.filter(assigned_to(actor))
    if query.folder_id is not None:
        rows = _in_folder(rows, actor, query.folder_id, below=query.include_sub_folders)
    if query.order_ids:
        rows = rows.filter(uuid__in=query.order_ids)
    return rows


def page_of(rows: QuerySet[PatientOrder], number: int, size: int) -> t.Page[t.OrderSummary]:
    """Page ``number`` of sorted ``rows``, counting only when the page cannot tell the total.

    Most searches are selective: when the requested page is not full, the total is known
    without a ``COUNT(*)`` over the matches. Out-of-range page numbers give the last page.
    """
    size = max(1, min(size, MAX_PAGE_SIZE))
    number = min(max(1, number), t.PAGE_NUMBER_MAX)  # a larger offset overflows the database's integers
    start = (number - 1) * size
    items = list(rows[start : start + size])
    if (items and len(items) < size) or (not items and number == 1):
        total = start + len(items)
    else:
        total = rows.count()
        last = max(1, -(-total // size))
        if number > last:
            number, start = last, (last - 1) * size
            items = list(rows[start : start + size])
    attach_file_counts(items)
    return t.Page(items=tuple(convert.order_summary(r) for r in items), total=total, number=number, size=size)


def attach_file_counts(rows: list[PatientOrder]) -> None:
    """Set ``image_count`` and ``document_count`` on a page of orders: two grouped queries
    over that page's ids only, so the cost does not grow with the table."""
    ids = [row.pk for row in rows]
    images = dict(
        InstanceRecord.objects.filter(stored=True, series__study__order_id__in=ids)
        .values_list("series__study__order_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    documents = dict(
        DocumentRecord.objects.filter(order_id__in=ids).values_list("order_id").annotate(n=Count("pk")).order_by()
    )
    for row in rows:
        row.image_count = images.get(row.pk, 0)  # type: ignore[attr-defined]
        row.document_count = documents.get(row.pk, 0)  # type: ignore[attr-defined]


class SearchOrdersMixin:
    def search_orders(self, *, actor: User, query: t.OrderQuery) -> t.Page[t.OrderSummary]:
        order_by = _order_by(query.sort)
        rows = with_summary_data(filtered(actor, query)).order_by(*order_by)
        page = page_of(rows, query.page, query.page_size)
        _record_search(actor, query, page)
        return page


def _filters(query: t.OrderQuery) -> dict[str, object]:
    """The filters ``query`` sets (not its defaults), as JSON values."""

    def plain(value: object) -> object:
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        if isinstance(value, dt.date):
            return value.isoformat()
        return value if isinstance(value, bool | int | str) else str(value)

    skipped = {"page_size", "folder_id"}
    return {
        f.name: plain(getattr(query, f.name))
        for f in fields(query)
        if f.name not in skipped and getattr(query, f.name) != f.default
    }


def _record_search(actor: User, query: t.OrderQuery, page: t.Page[t.OrderSummary]) -> None:
    """One event per list shown: a folder's page names the folder, any other list is a search;
    the filters and how many orders matched say what the actor saw."""
    filters, shown = _filters(query), len(page.items)
    if query.folder_id is not None:
        name = Folder.objects.filter(uuid=query.folder_id).values_list("name", flat=True).first() or ""
        record_read(
            actor,
            AuditAction.FOLDER_VIEWED,
            target_type="folder",
            target_id=query.folder_id,
            target_label=name,
            filters=filters,
            found=page.total,
            shown=shown,
        )
    else:
        record_read(
            actor,
            AuditAction.ORDER_SEARCHED,
            target_type="",
            target_id="",
            filters=filters,
            found=page.total,
            shown=shown,
        )
