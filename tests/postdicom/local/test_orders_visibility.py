"""Who sees which order, and what each role may do to it: every order method × every role.

Personas: administrator, staff of the order's institution, staff of another institution
(outsider), a limited user the order is assigned to, one it is not assigned to, one who
gets it through a user group, and a limited user who created the order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from postdicom import get_api
from postdicom.errors import Forbidden, NotFound
from postdicom.local.access import profile_of
from postdicom.local.models import FlagGroupRecord, FlagRecord, Institution, PatientOrder
from postdicom.local.orders.visibility import visible_among, visible_in_institution, visible_orders
from postdicom.types import OrderQuery, OrderSummary, ShareAudience
from tests.postdicom.local.orders_setup import actions, create, draft, group_with, limited, row, uid

ROLES = ["admin", "staff", "outsider", "assigned", "unassigned", "via_group"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def scene(
    admin_user: User, staff_user: User, outsider: User, limited_user: User, clinic: Institution
) -> dict[str, Any]:
    """Two orders of ``clinic`` assigned to ``limited_user`` and to a group of ``gus``."""
    api = get_api()
    order = create(staff_user, clinic, accession_number="ACC-1")
    buddy = create(staff_user, clinic, patient_id="P-2", accession_number="ACC-2")
    gus = limited("gus", clinic)
    group = group_with(gus)
    for each in (order, buddy):
        api.assign_order(actor=staff_user, order_id=each.id, user_id=uid(limited_user))
        api.assign_order(actor=staff_user, order_id=each.id, group_id=group.uuid)
    users = {
        "admin": admin_user,
        "staff": staff_user,
        "outsider": outsider,
        "assigned": limited_user,
        "unassigned": limited("lena", clinic),
        "via_group": gus,
    }
    return {"order": order, "buddy": buddy, "users": users, "clinic": clinic}


def test_visible_orders_per_role(scene: dict[str, Any]) -> None:
    order: OrderSummary = scene["order"]
    counts = {role: visible_orders(user).count() for role, user in scene["users"].items()}
    assert counts == {"admin": 2, "staff": 2, "outsider": 0, "assigned": 2, "unassigned": 0, "via_group": 2}
    get_api().unassign_order(actor=scene["users"]["staff"], order_id=order.id, user_id=uid(scene["users"]["assigned"]))
    assert list(visible_orders(scene["users"]["assigned"]).values_list("uuid", flat=True)) == [scene["buddy"].id]
    assert visible_orders(scene["users"]["via_group"]).count() == 2


def test_limited_user_sees_orders_they_created(clinic: Institution) -> None:
    creator = limited("cleo", clinic)
    mine = create(creator, clinic)
    assert list(visible_orders(creator).values_list("uuid", flat=True)) == [mine.id]
    assert get_api().order_properties(actor=creator, order_id=mine.id).can_manage is False


def test_deleted_orders_are_hidden_from_every_role(scene: dict[str, Any], staff_user: User) -> None:
    get_api().delete_order(actor=staff_user, order_id=scene["order"].id)
    for user in scene["users"].values():
        assert scene["order"].id not in set(visible_orders(user).values_list("uuid", flat=True))
    assert visible_orders(scene["users"]["admin"], deleted=True).get().uuid == scene["order"].id


def test_inactive_user_sees_nothing(scene: dict[str, Any], staff_user: User) -> None:
    staff_user.is_active = False
    staff_user.save()
    with pytest.raises(Forbidden):
        get_api().search_orders(actor=staff_user, query=OrderQuery())


@pytest.mark.parametrize("role", ROLES)
def test_order_properties_per_role(scene: dict[str, Any], role: str) -> None:
    user, order = scene["users"][role], scene["order"]
    if role in ("outsider", "unassigned"):
        with pytest.raises(NotFound):
            get_api().order_properties(actor=user, order_id=order.id)
    else:
        detail = get_api().order_properties(actor=user, order_id=order.id)
        assert detail.summary.id == order.id
        assert detail.can_manage is (role in ("admin", "staff"))


@pytest.mark.parametrize("role", ROLES)
def test_search_per_role(scene: dict[str, Any], role: str) -> None:
    page = get_api().search_orders(actor=scene["users"][role], query=OrderQuery(patient_name="peña"))
    expected = {"admin": 2, "staff": 2, "outsider": 0, "assigned": 2, "unassigned": 0, "via_group": 2}
    assert page.total == expected[role]


def _flags() -> tuple[Any, Any]:
    group = FlagGroupRecord.objects.create(name="Urgency")
    return group.uuid, FlagRecord.objects.create(group=group, name="Urgent", color="#cc0000").uuid


# Each management method, called on ``order`` (and ``buddy`` where it needs two orders).
MANAGE: dict[str, Callable[[User, dict[str, Any]], object]] = {
    "delete_order": lambda u, s: get_api().delete_order(actor=u, order_id=s["order"].id),
    "restore_order": lambda u, s: get_api().restore_order(actor=u, order_id=s["order"].id),
    "link_orders": lambda u, s: get_api().link_orders(
        actor=u, order_ids=[s["order"].id, s["buddy"].id], confirm_different_patients=True
    ),
    "unlink_orders": lambda u, s: get_api().unlink_orders(actor=u, order_ids=[s["order"].id]),
    "assign_order": lambda u, s: get_api().assign_order(
        actor=u, order_id=s["order"].id, user_id=uid(s["users"]["unassigned"])
    ),
    "unassign_order": lambda u, s: get_api().unassign_order(
        actor=u, order_id=s["order"].id, user_id=uid(s["users"]["assigned"])
    ),
    "move_order_to_institution": lambda u, s: get_api().move_order_to_institution(
        actor=u, order_id=s["order"].id, institution_id=s["annex"].uuid
    ),
    "set_order_flag": lambda u, s: get_api().set_order_flag(
        actor=u, order_id=s["order"].id, group_id=s["flag"][0], flag_id=s["flag"][1]
    ),
}


def _prepare(method: str, s: dict[str, Any]) -> None:
    """Make each method's call a real change: restore a deleted order, unlink a linked one,
    move into an institution of staff's own (administrators reach every institution)."""
    staff = s["users"]["staff"]
    if method == "restore_order":
        get_api().delete_order(actor=staff, order_id=s["order"].id)
    elif method == "unlink_orders":
        get_api().link_orders(actor=staff, order_ids=[s["order"].id, s["buddy"].id], confirm_different_patients=True)
    s["annex"] = Institution.objects.create(name="Annex")
    profile_of(staff).institutions.add(s["annex"])
    s["flag"] = _flags()


def _state(s: dict[str, Any]) -> dict[str, Any]:
    """What the management methods change on ``order``."""
    order, buddy = row(s["order"].id), row(s["buddy"].id)
    return {
        "deleted": order.deleted_at is not None,
        "linked": order.group_id is not None and order.group_id == buddy.group_id,
        "institution": order.institution_id,
        "assigned": set(order.user_assignments.values_list("user__username", flat=True)),
        "flags": set(order.order_flags.values_list("flag__name", flat=True)),
    }


# What a permitted call changes (the rest of ``_state`` stays as it was).
CHANGES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "delete_order": lambda s: {"deleted": True},
    "restore_order": lambda s: {"deleted": False},
    "link_orders": lambda s: {"linked": True},
    "unlink_orders": lambda s: {"linked": False},
    "assign_order": lambda s: {"assigned": {"lia", "lena"}},
    "unassign_order": lambda s: {"assigned": set()},
    "move_order_to_institution": lambda s: {"institution": s["annex"].pk},
    "set_order_flag": lambda s: {"flags": {"Urgent"}},
}


@pytest.mark.parametrize("method", sorted(MANAGE))
@pytest.mark.parametrize("role", ROLES)
def test_manage_methods_per_role(scene: dict[str, Any], method: str, role: str) -> None:
    """Staff and administrators manage; a limited user who sees the order gets Forbidden;
    whoever does not see it gets NotFound (nothing is revealed)."""
    call = MANAGE[method]
    user = scene["users"][role]
    _prepare(method, scene)
    before = _state(scene)
    if role in ("outsider", "unassigned"):
        with pytest.raises(NotFound):
            call(user, scene)
    elif role in ("assigned", "via_group"):
        with pytest.raises(Forbidden):
            call(user, scene)
    else:
        call(user, scene)
        change = CHANGES[method](scene)
        assert {key: before[key] for key in change} != change, "the call must change something"
        assert _state(scene) == {**before, **change}
        return
    assert _state(scene) == before


@pytest.mark.parametrize("role", ROLES)
def test_recycle_methods_per_role(scene: dict[str, Any], staff_user: User, role: str) -> None:
    api = get_api()
    api.delete_order(actor=staff_user, order_id=scene["order"].id)
    user = scene["users"][role]
    if role in ("admin", "staff"):
        (item,) = api.recycle_bin(actor=user).items
        assert item.order.id == scene["order"].id
        assert item.can_purge is (role == "admin")
        assert api.recycled_order(actor=user, order_id=scene["order"].id).can_purge is (role == "admin")
        if role == "staff":  # staff wait for the daily purge; administrators may purge at once
            with pytest.raises(Forbidden):
                api.purge_order(actor=user, order_id=scene["order"].id)
            assert row(scene["order"].id).deleted_at is not None
            return
        api.purge_order(actor=user, order_id=scene["order"].id)
        assert not visible_orders(user, deleted=True).exists()
        return
    if role == "outsider":
        assert api.recycle_bin(actor=user).total == 0
    else:
        with pytest.raises(Forbidden):
            api.recycle_bin(actor=user)
    expected = NotFound if role in ("outsider", "unassigned") else Forbidden
    with pytest.raises(expected):
        api.restore_order(actor=user, order_id=scene["order"].id)
    with pytest.raises(expected):
        api.purge_order(actor=user, order_id=scene["order"].id)
    with pytest.raises(expected):
        api.recycled_order(actor=user, order_id=scene["order"].id)
    assert row(scene["order"].id).deleted_at is not None


def test_staff_of_another_institution_who_see_an_order_through_a_shared_folder_only_look(
    admin_user: User, staff_user: User, outsider: User, clinic: Institution
) -> None:
    """A folder share that includes restricted orders lets staff of another institution see
    the order, never change it: every management method refuses and the order is unchanged."""
    api = get_api()
    order = create(staff_user, clinic, accession_number="AN-S1")
    other = create(staff_user, clinic, accession_number="AN-S2")
    folder = api.create_folder(actor=admin_user, name="Second opinions")
    for o in (order, other):
        api.add_order_to_folders(actor=admin_user, order_id=o.id, folder_ids=[folder.id])
    api.share_folder(
        actor=admin_user,
        folder_id=folder.id,
        audience=ShareAudience(user_ids=(uid(outsider),)),
        includes_restricted_orders=True,
    )
    assert api.order_properties(actor=outsider, order_id=order.id).can_manage is False
    assert api.order_properties(actor=staff_user, order_id=order.id).can_manage is True
    before = actions(order.id)
    refused = [
        lambda: api.update_order(actor=outsider, order_id=order.id, draft=draft(patient_id="P-9")),
        lambda: api.delete_order(actor=outsider, order_id=order.id),
        lambda: api.link_orders(actor=outsider, order_ids=[order.id, other.id]),
        lambda: api.assign_order(actor=outsider, order_id=order.id, user_id=uid(outsider)),
    ]
    for call in refused:
        with pytest.raises(Forbidden):
            call()
    assert actions(order.id) == before
    assert row(order.id).deleted_at is None
    assert row(order.id).group_id is None


def test_visible_among_agrees_with_visible_orders(
    scene: dict[str, Any], admin_user: User, staff_user: User, outsider: User, clinic: Institution
) -> None:
    """The one-order check (role first, folder shares after) gives exactly the answer of the
    whole rule for every persona: assigned, through a group, created, shared with restricted
    orders (outsider) or without (unassigned), and none."""
    api = get_api()
    users = scene["users"]
    creator = limited("cleo", clinic)
    create(creator, clinic, accession_number="ACC-C")
    shared = create(staff_user, clinic, accession_number="ACC-S")
    folder = api.create_folder(actor=admin_user, name="Second opinions")
    api.add_order_to_folders(actor=admin_user, order_id=shared.id, folder_ids=[folder.id])
    api.share_folder(
        actor=admin_user,
        folder_id=folder.id,
        audience=ShareAudience(user_ids=(uid(outsider), uid(users["unassigned"]))),
        includes_restricted_orders=False,
    )
    api.share_folder(
        actor=admin_user,
        folder_id=folder.id,
        audience=ShareAudience(user_ids=(uid(outsider),)),
        includes_restricted_orders=True,
    )
    orders = list(PatientOrder.objects.filter(deleted_at__isnull=True))
    for role, user in {**users, "creator": creator}.items():
        expected = set(visible_orders(user).values_list("pk", flat=True))
        assert visible_among(user, orders) == expected, role
        for order in orders:
            assert visible_among(user, [order]) == {order.pk} & expected, (role, order.accession_number)
    assert visible_among(outsider, orders) == {row(shared.id).pk}
    staff_user.is_active = False
    staff_user.save()
    with pytest.raises(Forbidden):
        visible_among(staff_user, orders)


def test_visible_in_institution_agrees_with_visible_orders(
    scene: dict[str, Any], admin_user: User, staff_user: User, outsider: User, clinic: Institution
) -> None:
    """The upload's shortcut (an administrator, or staff of the institution, sees its every
    live order without reading folder shares) gives exactly the whole rule's answer, for every
    persona and both institutions: staff of the other institution who see one order through
    a share with restricted orders, a deleted order, an inactive user."""
    api = get_api()
    users = {**scene["users"], "creator": limited("cleo", clinic)}
    create(users["creator"], clinic, accession_number="ACC-C")
    theirs = profile_of(outsider).institutions.get()
    create(outsider, theirs, accession_number="ACC-O")
    gone = create(staff_user, clinic, accession_number="ACC-D")
    api.delete_order(actor=staff_user, order_id=gone.id)
    shared = create(staff_user, clinic, accession_number="ACC-S")
    folder = api.create_folder(actor=admin_user, name="Second opinions")
    api.add_order_to_folders(actor=admin_user, order_id=shared.id, folder_ids=[folder.id])
    api.share_folder(
        actor=admin_user,
        folder_id=folder.id,
        audience=ShareAudience(user_ids=(uid(outsider),)),
        includes_restricted_orders=True,
    )
    for role, user in users.items():
        for institution in (clinic, theirs):
            expected = set(visible_orders(user).filter(institution_id=institution.pk).values_list("pk", flat=True))
            got = set(visible_in_institution(user, institution.pk).values_list("pk", flat=True))
            assert got == expected, (role, institution.name)
    assert set(visible_in_institution(outsider, clinic.pk).values_list("pk", flat=True)) == {row(shared.id).pk}
    assert row(gone.id).pk not in set(visible_in_institution(staff_user, clinic.pk).values_list("pk", flat=True))
    staff_user.is_active = False
    staff_user.save()
    with pytest.raises(Forbidden):
        visible_in_institution(staff_user, clinic.pk)
