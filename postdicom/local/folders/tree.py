"""Folders with their counts, for a whole tree or one subtree, in a few queries.

Whatever the size of the tree: one query for the folders (plain tuples, no model
instances), one grouped query for the orders filed in each, and the sub-tree totals
(``all_sub_order_count``, ``all_sub_folder_count``) added up in Python, children before
parents. Counts are always computed at the time of the call from ``visible_orders``: never
cached, so an order deleted, restored, moved or unassigned counts (or not) at once.
Numbers for 5,000 folders and 100,000 filed orders: bench/folders.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet

from postdicom import types as t
from postdicom.collation import sort_key
from postdicom.local import convert
from postdicom.local.models import Folder, FolderOrder
from postdicom.local.orders.visibility import visible_orders

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class FolderValues(NamedTuple):
    """The columns a tree needs of one folder."""

    pk: int
    uuid: UUID
    name: str
    description: str
    parent_id: int | None
    path: str


def values(rows: QuerySet[Folder]) -> list[FolderValues]:
    """The folders of ``rows`` as plain tuples (one query)."""
    return [FolderValues(*r) for r in rows.values_list("pk", "uuid", "name", "description", "parent_id", "path")]


def subtree(rows: QuerySet[Folder], top: Folder) -> QuerySet[Folder]:
    """``top`` and every folder below it, among ``rows`` (the materialized path's prefix)."""
    return rows.filter(Q(pk=top.pk) | Q(path__startswith=top.subtree_prefix))


def order_counts(actor: User, folder_pks: Collection[int] | None = None) -> dict[int, int]:
    """How many orders the actor may see (live ones) are filed in each of the actor's folders,
    or only in ``folder_pks``: one grouped query, whose orders are ``visible_orders(actor)``
    (the one visibility rule, as it is)."""
    visible = visible_orders(actor)
    filed: QuerySet[Any, tuple[int]]
    if folder_pks is None:
        # The whole tree: every filing of the actor's, from folder_order_by_owner_idx.
        filed = FolderOrder.objects.filter(owner=actor, order__in=visible.values("pk")).values_list("folder_id")
    else:
        # A few folders: their filings of the visible orders (for a limited user, from their
        # few orders: a third faster than from the filings).
        filed = visible.filter(folder_memberships__folder_id__in=list(folder_pks)).values_list(
            "folder_memberships__folder_id"
        )
    rows = filed.annotate(n=Count("*")).order_by()
    with _counting_plan():
        return dict(rows)


#: How the counts run on PostgreSQL. For a whole tree, one user's filings come in order id
#: order from ``folder_order_by_owner_idx`` (migration 0006) and are merged with the live
#: orders the actor may see, also in order id order (``order_live_id_institution_idx``,
#: migration 0003): two index-only scans, no sort, no join to the folders. For 100,000
#: filings on two cores that is about 30 ms, where the previous plans took 80-200 ms
#: (bench/folders). Parallel workers would each read every filing again; a JIT compilation
#: costs more than the whole query; without hash aggregation (and with the memory to sort in
#: place) a limited user's count starts from their few orders and takes half the time.
COUNTING_PLAN = {
    "max_parallel_workers_per_gather": "0",
    "enable_hashagg": "off",
    "jit": "off",
    "work_mem": "32MB",
}


@contextmanager
def _counting_plan() -> Iterator[None]:
    """Run the block's queries with ``COUNTING_PLAN`` (PostgreSQL), then restore the settings."""
    if connection.vendor != "postgresql":
        yield
        return
    names = list(COUNTING_PLAN)
    # Local settings end with the transaction: restore them only inside someone else's.
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        # One statement: the current values first (a SELECT list is evaluated in order).
        cursor.execute(
            f"SELECT {', '.join(['current_setting(%s)'] * len(names))},"
            f" {', '.join(['set_config(%s, %s, true)'] * len(names))}",
            [*names, *(part for item in COUNTING_PLAN.items() for part in item)],
        )
        previous = cursor.fetchone()[: len(names)]
        try:
            yield
        finally:
            if not outermost:
                cursor.execute(
                    f"SELECT {', '.join(['set_config(%s, %s, true)'] * len(names))}",
                    [part for item in zip(names, previous, strict=True) for part in item],
                )


def _sort_key(row: FolderValues) -> tuple[tuple[str, str, str], int]:
    return (sort_key(row.name), row.pk)


def build(
    rows: Iterable[FolderValues],
    counts: Mapping[int, int] | None = None,
    *,
    rights: t.FolderRights,
    top_ancestors: tuple[t.FolderRef, ...] = (),
) -> list[t.Folder]:
    """The folders of ``rows`` depth first, siblings by name, each with its ancestors and
    counts (all 0 when ``counts`` is None). ``rows`` is a whole tree, or one subtree whose
    top's ancestors are ``top_ancestors``."""
    by_pk = {row.pk: row for row in rows}
    children: dict[int | None, list[FolderValues]] = {}
    tops: list[FolderValues] = []
    for row in by_pk.values():
        if row.parent_id in by_pk:
            children.setdefault(row.parent_id, []).append(row)
        else:
            tops.append(row)
    for siblings in children.values():
        siblings.sort(key=_sort_key)
    tops.sort(key=_sort_key)

    # Depth first (pre-order): every folder comes after its ancestors.
    order: list[FolderValues] = []
    stack = list(reversed(tops))
    while stack:
        row = stack.pop()
        order.append(row)
        stack.extend(reversed(children.get(row.pk, ())))

    # Sub-tree totals: children come before their parents in reversed pre-order, so each
    # folder's totals are final when they are added to its parent's.
    own = counts or {}
    all_orders = {pk: own.get(pk, 0) for pk in by_pk}
    all_folders = dict.fromkeys(by_pk, 0)
    for row in reversed(order):
        parent_pk = row.parent_id
        if parent_pk in by_pk:
            all_orders[parent_pk] += all_orders[row.pk]
            all_folders[parent_pk] += 1 + all_folders[row.pk]

    top_parent = top_ancestors[-1].id if top_ancestors else None
    # What a folder's children share: the ancestors they have (its own plus itself).
    above_children: dict[int, tuple[t.FolderRef, ...]] = {}
    result: list[t.Folder] = []
    for row in order:
        parent = by_pk.get(row.parent_id) if row.parent_id is not None else None
        above = above_children[parent.pk] if parent is not None else top_ancestors
        if row.pk in children:
            above_children[row.pk] = (*above, convert.folder_ref(row))
        result.append(
            convert.folder(
                row,
                parent_id=parent.uuid if parent is not None else top_parent,
                ancestors=above,
                order_count=own.get(row.pk, 0),
                all_sub_order_count=all_orders[row.pk],
                sub_folder_count=len(children.get(row.pk, ())),
                all_sub_folder_count=all_folders[row.pk],
                rights=rights,
            )
        )
    return result


def whole_tree(actor: User, rows: QuerySet[Folder], *, with_counts: bool = True) -> list[t.Folder]:
    """Every folder of ``rows`` (the actor's) with counts: two queries."""
    folder_rows = values(rows)
    return build(folder_rows, order_counts(actor) if with_counts and folder_rows else None, rights=t.OWNER_RIGHTS)


def with_subtree(
    actor: User, rows: QuerySet[Folder], top: Folder, ancestors: tuple[t.FolderRef, ...]
) -> list[t.Folder]:
    """``top`` (first) and every folder below it, with counts: two queries."""
    folder_rows = values(subtree(rows, top))
    counts = order_counts(actor, [r.pk for r in folder_rows])
    return build(folder_rows, counts, rights=t.OWNER_RIGHTS, top_ancestors=ancestors)


def with_counts_of(actor: User, rows: Sequence[FolderValues], folders: Sequence[t.Folder]) -> list[t.Folder]:
    """``folders`` (built from ``rows``, the actor's tree, without counts) with their counts,
    counting only the orders filed in them and in the folders below them: the few results of
    a search cost a few of the tree's filings, not all of them."""
    wanted = {f.id for f in folders}
    found = {row.pk: row.uuid for row in rows if row.uuid in wanted}
    children: dict[int, list[int]] = {}
    for row in rows:
        if row.parent_id is not None:
            children.setdefault(row.parent_id, []).append(row.pk)
    # Each folder at or below a found one, with the found folders its orders count towards.
    towards: dict[int, list[UUID]] = {}
    for top, uuid in found.items():
        stack = [top]
        while stack:
            pk = stack.pop()
            towards.setdefault(pk, []).append(uuid)
            stack.extend(children.get(pk, ()))
    if not towards:
        counts: dict[int, int] = {}
    elif 2 * len(towards) > len(rows):
        counts = order_counts(actor)  # most of the tree: the whole tree's plan is the fastest
    else:
        counts = order_counts(actor, list(towards))
    total = dict.fromkeys(wanted, 0)
    for pk, tops in towards.items():
        for uuid in tops:
            total[uuid] += counts.get(pk, 0)
    own = {uuid: counts.get(pk, 0) for pk, uuid in found.items()}
    return [replace(f, order_count=own[f.id], all_sub_order_count=total[f.id]) for f in folders]


def describe(row: Folder, ancestors: tuple[t.FolderRef, ...], *, rights: t.FolderRights, **counts: Any) -> t.Folder:
    """One folder without looking at the tree around it (counts given, else 0)."""
    parent_id = ancestors[-1].id if ancestors else None
    return convert.folder(row, parent_id=parent_id, ancestors=ancestors, rights=rights, **counts)
