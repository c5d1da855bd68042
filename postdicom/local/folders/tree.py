"""Folders with their counts, for a whole tree or one subtree, in a few queries.

Whatever the size of the tree: one query for the folders (plain tuples, no model
instances), one grouped query for the orders filed in each, and the sub-tree totals
(``all_sub_order_count``, ``all_sub_folder_count``) added up in Python, children before
parents. 5,000 folders and 100,000 filed orders take tens of milliseconds (bench/folders).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet

from postdicom import types as t
from postdicom.local import convert
from postdicom.local.models import Folder
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
    or only in ``folder_pks``: one grouped query, rooted at the visible orders so that the
    visibility rule is the one of ``visible_orders``."""
    condition = Q(folder_memberships__folder__owner=actor)
    if folder_pks is not None:
        condition &= Q(folder_memberships__folder_id__in=list(folder_pks))
    rows = (
        visible_orders(actor)
        .filter(condition)
        .values_list("folder_memberships__folder_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    with _serial_plan():
        return dict(rows)


@contextmanager
def _serial_plan() -> Iterator[None]:
    """Run the block's queries without parallel workers (PostgreSQL), then restore the setting.

    For the counts PostgreSQL otherwise picks a parallel hash join in which every worker
    hashes all the filed orders again; the serial plan, a merge of two index-only scans
    (``folder_order_by_order_idx`` and ``order_live_id_institution_idx``, migration 0003), is
    about three times faster on the benchmark's two cores (bench/folders)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_parallel_workers_per_gather'),"
            " set_config('max_parallel_workers_per_gather', '0', true)"
        )
        (previous, _now) = cursor.fetchone()
        try:
            yield
        finally:
            cursor.execute("SELECT set_config('max_parallel_workers_per_gather', %s, true)", [previous])


def _sort_key(row: FolderValues) -> tuple[str, str, int]:
    return (row.name.casefold(), row.name, row.pk)


def build(
    rows: Iterable[FolderValues],
    counts: Mapping[int, int] | None = None,
    *,
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
            )
        )
    return result


def whole_tree(actor: User, rows: QuerySet[Folder], *, with_counts: bool = True) -> list[t.Folder]:
    """Every folder of ``rows`` (the actor's) with counts: two queries."""
    folder_rows = values(rows)
    return build(folder_rows, order_counts(actor) if with_counts and folder_rows else None)


def with_subtree(
    actor: User, rows: QuerySet[Folder], top: Folder, ancestors: tuple[t.FolderRef, ...]
) -> list[t.Folder]:
    """``top`` (first) and every folder below it, with counts: two queries."""
    folder_rows = values(subtree(rows, top))
    return build(folder_rows, order_counts(actor, [r.pk for r in folder_rows]), top_ancestors=ancestors)


def describe(row: Folder, ancestors: tuple[t.FolderRef, ...], **counts: Any) -> t.Folder:
    """One folder without looking at the tree around it (counts given, else 0)."""
    return convert.folder(row, parent_id=ancestors[-1].id if ancestors else None, ancestors=ancestors, **counts)
