"""Who sees which order, and who may manage it. Every order method starts here.

* Administrators see every order.
* Staff see the orders of their institutions.
* Limited users see the orders assigned to them or to one of their user groups, and the
  orders they created (by hand or by an upload). Sending images never grants sight of an
  order: an upload joins only orders its uploader already sees
  (``postdicom.local.uploads.indexing``).
* Anyone also sees the orders filed in a folder shared with them (or one of their groups)
  whose share explicitly includes restricted orders, and in the folders below it, as far as
  the folder's owner may see them (see ``_shared_with``). A share without that permission
  shows its recipients only the orders this rule already lets them see.

An order the actor cannot see does not exist for them (``NotFound``); one they can see but
not change gives ``Forbidden``. Deleted orders are seen only by the recycle-bin methods.

Inside ``postdicom.context.only_orders`` (a view link, an outside share) every rule here is
narrowed to the orders the block names, and nothing may be managed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from postdicom.context import order_scope
from postdicom.errors import Forbidden, NotFound
from postdicom.local.access import profile_of, require_active, role_of
from postdicom.local.folders.reach import grants
from postdicom.local.models import (
    FolderOrder,
    OrderGroupAssignment,
    OrderUserAssignment,
    PatientOrder,
)
from postdicom.types import Role, display_patient_name

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def visible_orders(actor: User, *, deleted: bool = False) -> QuerySet[PatientOrder]:
    """The orders ``actor`` may see: live ones, or with ``deleted`` those in the recycle bin.

    ``Forbidden`` for an inactive or anonymous actor.
    """
    role = require_active(actor)
    rows = PatientOrder.objects.filter(deleted_at__isnull=not deleted)
    scope = order_scope()
    if scope is not None:
        rows = rows.filter(uuid__in=scope)
    if role is Role.ADMINISTRATOR:
        return rows
    return rows.filter(_role_rule(actor, role, _shared_with(actor)))


def visible_in_institution(actor: User, institution_pk: int) -> QuerySet[PatientOrder]:
    """``visible_orders(actor).filter(institution_id=institution_pk)``, in fewer statements
    when the role alone settles it: an administrator, or staff of that institution, sees
    every live order there (folder shares only ever add orders, never take any away), so
    neither the shares nor the institutions list is read. Every other case is
    ``visible_orders`` itself. ``Forbidden`` for an inactive or anonymous actor."""
    if sees_whole_institution(actor, institution_pk):
        return PatientOrder.objects.filter(deleted_at__isnull=True, institution_id=institution_pk)
    return visible_orders(actor).filter(institution_id=institution_pk)


def sees_whole_institution(actor: User, institution_pk: int, *, member: bool | None = None) -> bool:
    """Whether ``actor`` sees every live order of the institution by their role alone: an
    administrator, or staff who work there (outside ``only_orders``). ``member``: the caller
    has just checked whether the actor works there (``None``: one query finds out; an
    administrator needs none). ``Forbidden`` for an inactive or anonymous actor."""
    by_role = _whole_institution_by_role(actor)
    if by_role is not None:
        return by_role
    if member is None:
        member = profile_of(actor).institutions.filter(pk=institution_pk).exists()
    return member


def _whole_institution_by_role(actor: User) -> bool | None:
    """What the role alone says of seeing and managing a whole institution: yes for an
    administrator, no in a scoped request or below staff, ``None`` for staff (it depends on
    the institutions they work in). ``Forbidden`` for an inactive or anonymous actor."""
    role = require_active(actor)
    if order_scope() is not None:
        return False
    if role is Role.ADMINISTRATOR:
        return True
    return None if role is Role.STAFF else False


def _role_rule(user: User, role: Role, shared: Sequence[QuerySet[Any]] = ()) -> Q:
    """The orders ``user`` sees by their role, plus the ids of ``shared``."""
    if role is Role.ADMINISTRATOR:
        return Q()
    if role is Role.STAFF:
        # A literal list (a user has a handful of institutions) plans better than a join.
        mine = list(profile_of(user).institutions.values_list("pk", flat=True))
        by_role = Q(institution_id__in=mine)
        return by_role | Q(pk__in=shared[0].union(*shared[1:])) if shared else by_role
    return _limited_filter(user, shared)


def _limited_filter(actor: User, shared: Sequence[QuerySet[Any]] = ()) -> Q:
    """A limited user's orders: one ``id IN (… UNION …)`` so that PostgreSQL starts from the
    few ids the user may see instead of testing every order."""
    assigned = OrderUserAssignment.objects.filter(user=actor).values("order_id").order_by()
    via_groups = OrderGroupAssignment.objects.filter(user_group__members=actor).values("order_id").order_by()
    own = PatientOrder.objects.filter(created_by=actor).values("id").order_by()
    ids = assigned.union(via_groups, own, *shared)
    return Q(pk__in=ids)


def _shared_with(actor: User) -> list[QuerySet[Any]]:
    """``values("id")`` querysets of the orders ``actor`` sees through folder shares that
    include restricted orders: per folder owner, the orders filed in the shared folders and
    below them that the owner sees by their role (a share never shows more than its owner
    sees). Nothing (and one query) when no such share reaches the actor."""
    owners: dict[int, User] = {}
    below: dict[int, Q] = {}
    for grant in grants(actor, restricted_only=True):
        folder = grant.folder
        owners[folder.owner_id] = folder.owner
        here = Q(folder_id=folder.pk) | Q(folder__path__startswith=folder.subtree_prefix)
        below[folder.owner_id] = below[folder.owner_id] | here if folder.owner_id in below else here
    found = []
    for pk, owner in owners.items():
        filed = FolderOrder.objects.filter(below[pk]).values("order_id").order_by()
        found.append(
            PatientOrder.objects.filter(pk__in=filed).filter(_role_rule(owner, role_of(owner))).values("id").order_by()
        )
    return found


def visible_among(actor: User, orders: Sequence[PatientOrder]) -> set[int]:
    """The ids of those of ``orders`` (already fetched, live or deleted as the caller chose)
    that ``actor`` sees: the rule of ``visible_orders`` for a few orders, the cheap role test
    first (at most one query) and the folder shares only for the orders it leaves out. Nothing
    is remembered between calls, so a revoked share or a removed assignment counts at once.

    ``Forbidden`` for an inactive or anonymous actor.
    """
    role = require_active(actor)
    scope = order_scope()
    ids = {order.pk for order in orders if scope is None or order.uuid in scope}
    if role is Role.ADMINISTRATOR or not ids:
        return ids
    if role is Role.STAFF:
        mine = set(profile_of(actor).institutions.values_list("pk", flat=True))
        seen = {order.pk for order in orders if order.institution_id in mine}
    else:
        seen = {order.pk for order in orders if order.created_by_id == actor.pk}
        if ids - seen:
            seen |= set(
                PatientOrder.objects.filter(pk__in=ids - seen)
                .filter(
                    Q(pk__in=OrderUserAssignment.objects.filter(user=actor).values("order_id"))
                    | Q(pk__in=OrderGroupAssignment.objects.filter(user_group__members=actor).values("order_id"))
                )
                .values_list("pk", flat=True)
            )
    rest = ids - seen
    if rest:
        shared = _shared_with(actor)
        if shared:
            ids_shared = shared[0].union(*shared[1:])
            seen |= set(PatientOrder.objects.filter(pk__in=rest).filter(pk__in=ids_shared).values_list("pk", flat=True))
    return seen


def manages_orders(actor: User) -> bool:
    """Staff and administrators manage orders; limited users only look (the recycle bin, bulk
    actions). Which orders: ``can_manage``. Nobody manages inside ``only_orders``."""
    return require_active(actor) in (Role.ADMINISTRATOR, Role.STAFF) and order_scope() is None


def can_manage(actor: User, order: PatientOrder) -> bool:
    """Administrators, and staff of the order's institution, manage it: edit, delete, restore,
    assign, move, link, flag and remove its documents. Staff of another institution who see it
    through a shared folder only look at it."""
    return _manages_in(actor, [order])


def _manages_in(actor: User, orders: Sequence[PatientOrder]) -> bool:
    """``can_manage`` for every one of ``orders``, with one query whatever their number."""
    by_role = _whole_institution_by_role(actor)
    if by_role is not None:
        return by_role
    needed = {order.institution_id for order in orders}
    return profile_of(actor).institutions.filter(pk__in=needed).count() == len(needed)


def require_manager(actor: User, *orders: PatientOrder) -> None:
    """``Forbidden`` unless ``actor`` manages orders (and every one of ``orders``)."""
    if not manages_orders(actor):
        raise Forbidden(_("Only staff and administrators can do this to an order."))
    if orders and not _manages_in(actor, orders):
        raise Forbidden(_("Only staff of the order's institution and administrators can change an order."))


def can_purge(actor: User) -> bool:
    """Administrators purge an order from the recycle bin before its time (an erasure
    request); staff wait for the daily purge."""
    return require_active(actor) is Role.ADMINISTRATOR


def order_row(actor: User, order_id: UUID, *, deleted: bool = False, for_update: bool = False) -> PatientOrder:
    """One order the actor may see (live, or with ``deleted`` in the recycle bin).
    ``NotFound`` otherwise."""
    rows = visible_orders(actor, deleted=deleted).select_related("institution")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    try:
        return rows.get(uuid=order_id)
    except PatientOrder.DoesNotExist:
        raise NotFound(_("No such order.")) from None


def managed_order(actor: User, order_id: UUID, *, deleted: bool = False) -> PatientOrder:
    """An order the actor may see and manage, locked for the rest of the transaction:
    ``NotFound`` first (never reveal what is hidden), then ``Forbidden``."""
    order = order_row(actor, order_id, deleted=deleted, for_update=True)
    require_manager(actor, order)
    return order


def managed_orders(actor: User, order_ids: Sequence[UUID]) -> list[PatientOrder]:
    """Several live orders the actor may manage, in the order given, duplicates dropped."""
    wanted = list(dict.fromkeys(order_ids))
    rows = visible_orders(actor).select_related("institution").select_for_update(of=("self",))
    found = {o.uuid: o for o in rows.filter(uuid__in=wanted)}
    if len(found) != len(wanted):
        raise NotFound(_("No such order."))
    require_manager(actor, *found.values())
    return [found[u] for u in wanted]


def order_label(order: PatientOrder) -> str:
    """ "<patient name> · <accession or patient id>", the audit trail's name of an order."""
    return label_of(order.patient_name, order.accession_number, order.patient_id)


def label_of(patient_name: str, accession_number: str, patient_id: str) -> str:
    """``order_label`` of an order read as values rather than as a row."""
    return f"{display_patient_name(patient_name)} · {accession_number or patient_id}"
