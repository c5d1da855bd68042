"""Folder counts stay exact for every role: an order counts in its folders while the folder's
owner may see it and it is not in the recycle bin, from the very next call (nothing cached),
whichever read gives the counts (the tree, one folder, a listing, a search)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction

from postdicom import get_api
from postdicom.local.folders.tree import COUNTING_PLAN
from postdicom.local.models import Folder, FolderOrder, Institution, PatientOrder, UserGroup
from postdicom.types import OrderSummary, Role, ShareAudience
from tests.conftest import make_user
from tests.missing import missing
from tests.postdicom.local.orders_setup import create, group_with, uid

pytestmark = pytest.mark.django_db


@dataclass
class Scene:
    """``owner``'s tree Cardiology / 2026 / March, with ``first`` filed in March and in
    Cardiology, and ``second`` in March."""

    owner: User
    first: OrderSummary
    second: OrderSummary
    group: UserGroup | None = None


def counts(actor: User) -> dict[str, tuple[int, int]]:
    """(order_count, all_sub_order_count) of each folder, by path, from every read that gives
    counts: they must all agree."""
    api = get_api()
    tree = {f.path_label: (f.order_count, f.all_sub_order_count) for f in api.folder_tree(actor=actor)}
    for folder in api.folder_tree(actor=actor, with_counts=False):
        one = api.get_folder(actor=actor, folder_id=folder.id)
        assert (one.order_count, one.all_sub_order_count) == tree[folder.path_label], folder.path_label
        listing = api.list_folders(actor=actor, parent_id=folder.id)
        assert listing.folder is not None
        assert (listing.folder.order_count, listing.folder.all_sub_order_count) == tree[folder.path_label]
        for found in api.search_folders(actor=actor, text=folder.name):
            assert (found.order_count, found.all_sub_order_count) == tree[found.path_label], found.path_label
    for root in api.list_folders(actor=actor).sub_folders:
        assert (root.order_count, root.all_sub_order_count) == tree[root.path_label]
    return tree


FILED = {"Cardiology": (1, 3), "Cardiology / 2026": (0, 2), "Cardiology / 2026 / March": (2, 2)}
FIRST_GONE = {"Cardiology": (0, 1), "Cardiology / 2026": (0, 1), "Cardiology / 2026 / March": (1, 1)}
SECOND_GONE = {"Cardiology": (1, 2), "Cardiology / 2026": (0, 1), "Cardiology / 2026 / March": (1, 1)}
NOTHING = {"Cardiology": (0, 0), "Cardiology / 2026": (0, 0), "Cardiology / 2026 / March": (0, 0)}


def file_scene(owner: User, first: OrderSummary, second: OrderSummary, group: UserGroup | None = None) -> Scene:
    api = get_api()
    march = api.create_folder(actor=owner, name="Cardiology/2026/March")
    api.add_order_to_folders(actor=owner, order_id=first.id, folder_ids=[march.id, march.ancestors[0].id])
    api.add_order_to_folders(actor=owner, order_id=second.id, folder_ids=[march.id])
    return Scene(owner, first, second, group)


@pytest.fixture(params=[Role.STAFF, Role.ADMINISTRATOR, Role.LIMITED], ids=lambda r: r.value)
def scene(request, staff_user: User, admin_user: User, limited_user: User, clinic: Institution) -> Scene:
    """The tree of a staff user, an administrator or a limited user (whose two orders are
    assigned: the first to them, the second to a group of theirs)."""
    owner = {Role.STAFF: staff_user, Role.ADMINISTRATOR: admin_user, Role.LIMITED: limited_user}[request.param]
    first = create(staff_user, clinic, patient_id="P-1")
    second = create(staff_user, clinic, patient_id="P-2")
    group = None
    if request.param is Role.LIMITED:
        api = get_api()
        group = group_with(limited_user)
        api.assign_order(actor=staff_user, order_id=first.id, user_id=uid(limited_user))
        api.assign_order(actor=staff_user, order_id=second.id, group_id=group.uuid)
    return file_scene(owner, first, second, group)


class TestExactForEveryRole:
    def test_the_recycle_bin_takes_an_order_out_of_every_count_at_once(self, scene: Scene, staff_user: User) -> None:
        api = get_api()
        assert counts(scene.owner) == FILED
        api.delete_order(actor=staff_user, order_id=scene.first.id)
        assert counts(scene.owner) == FIRST_GONE
        api.restore_order(actor=staff_user, order_id=scene.first.id)
        assert counts(scene.owner) == FILED
        api.delete_order(actor=staff_user, order_id=scene.first.id)
        api.delete_order(actor=staff_user, order_id=scene.second.id)
        assert counts(scene.owner) == NOTHING
        api.purge_order(actor=None, order_id=scene.second.id)
        api.restore_order(actor=staff_user, order_id=scene.first.id)
        assert counts(scene.owner) == SECOND_GONE

    def test_inside_a_transaction_the_counts_see_its_own_changes(self, scene: Scene, staff_user: User) -> None:
        api = get_api()
        with transaction.atomic():
            api.delete_order(actor=staff_user, order_id=scene.first.id)
            assert counts(scene.owner) == FIRST_GONE
        assert counts(scene.owner) == FIRST_GONE


class TestWhatTheOwnerMayNotSee:
    def test_staff_stop_counting_an_order_moved_to_another_institution(
        self, staff_user: User, admin_user: User, clinic: Institution, other_clinic: Institution
    ) -> None:
        scene = file_scene(staff_user, create(staff_user, clinic), create(staff_user, clinic, patient_id="P-2"))
        get_api().move_order_to_institution(actor=admin_user, order_id=scene.first.id, institution_id=other_clinic.uuid)
        assert counts(staff_user) == FIRST_GONE
        assert counts(admin_user) == {}  # folders are private: the administrator has none
        get_api().move_order_to_institution(actor=admin_user, order_id=scene.first.id, institution_id=clinic.uuid)
        assert counts(staff_user) == FILED

    @pytest.mark.parametrize("scene", [Role.LIMITED], indirect=True, ids=["limited"])
    def test_limited_users_stop_counting_what_is_unassigned_or_leaves_their_group(
        self, scene: Scene, staff_user: User, admin_user: User, limited_user: User
    ) -> None:
        assert scene.group is not None
        api = get_api()
        api.unassign_order(actor=staff_user, order_id=scene.first.id, user_id=uid(limited_user))
        assert counts(limited_user) == FIRST_GONE
        # Out of the group that has the second order: gone too.
        api.remove_group_members(actor=admin_user, group_id=scene.group.uuid, user_ids=[uid(limited_user)])
        assert counts(limited_user) == NOTHING
        api.assign_order(actor=staff_user, order_id=scene.first.id, user_id=uid(limited_user))
        assert counts(limited_user) == SECOND_GONE

    def test_a_staff_users_tree_counts_only_their_institutions(
        self, staff_user: User, outsider: User, clinic: Institution, other_clinic: Institution
    ) -> None:
        mine = create(staff_user, clinic)
        theirs = create(outsider, other_clinic, patient_id="N-1")
        scene = file_scene(outsider, theirs, create(outsider, other_clinic, patient_id="N-2"))
        file_scene(staff_user, mine, create(staff_user, clinic, patient_id="P-2"))
        # Filed by someone who could see it then: counted only while the owner sees it.
        FolderOrder.objects.create(
            folder=Folder.objects.get(owner=staff_user, name="Cardiology"),
            order=PatientOrder.objects.get(uuid=theirs.id),
            owner=staff_user,
        )
        assert counts(staff_user) == FILED
        assert counts(scene.owner) == FILED


class TestSearch:
    def test_results_count_their_own_sub_trees_like_the_whole_tree(self, staff_user: User, clinic: Institution) -> None:
        api = get_api()
        orders = [create(staff_user, clinic, patient_id=f"P-{n}") for n in range(4)]
        a = api.create_folder(actor=staff_user, name="Echo/Echo 2026/Echo March")
        b = api.create_folder(actor=staff_user, name="Neuro/Echo notes")
        api.create_folder(actor=staff_user, name="Other/Elsewhere")
        api.add_order_to_folders(actor=staff_user, order_id=orders[0].id, folder_ids=[a.id, b.id])
        api.add_order_to_folders(actor=staff_user, order_id=orders[1].id, folder_ids=[a.ancestors[0].id])
        api.add_order_to_folders(actor=staff_user, order_id=orders[2].id, folder_ids=[a.ancestors[1].id])
        other = api.search_folders(actor=staff_user, text="elsewhere")
        assert [(f.path_label, f.order_count) for f in other] == [("Other / Elsewhere", 0)]
        api.add_order_to_folders(actor=staff_user, order_id=orders[3].id, folder_ids=[other[0].id])
        tree = {f.id: f for f in api.folder_tree(actor=staff_user)}
        for text in ("echo", "march", "elsewhere", "e"):  # nested results, one, most of the tree
            found = api.search_folders(actor=staff_user, text=text)
            assert found, text
            assert list(found) == [tree[f.id] for f in found], text
        api.delete_order(actor=staff_user, order_id=orders[0].id)
        totals = {f.path_label: f.all_sub_order_count for f in api.search_folders(actor=staff_user, text="echo")}
        assert totals == {"Echo": 2, "Echo / Echo 2026": 1, "Echo / Echo 2026 / Echo March": 0, "Neuro / Echo notes": 0}


class TestFilings:
    def test_a_filing_records_its_folders_owner_even_when_an_editor_files_it(
        self, staff_user: User, clinic: Institution
    ) -> None:
        api = get_api()
        colleague = make_user("cole", Role.STAFF, [clinic])
        order = create(staff_user, clinic)
        mine = api.create_folder(actor=staff_user, name="Cardiology")
        theirs = api.create_folder(actor=colleague, name="Own")
        api.share_folder(
            actor=staff_user,
            folder_id=mine.id,
            audience=ShareAudience(user_ids=(uid(colleague),)),
            may_edit=True,
        )
        api.add_order_to_folders(actor=colleague, order_id=order.id, folder_ids=[mine.id, theirs.id])
        owners = dict(FolderOrder.objects.values_list("folder__name", "owner__username"))
        assert owners == {"Cardiology": staff_user.username, "Own": "cole"}
        assert counts(staff_user) == {"Cardiology": (1, 1)}
        assert counts(colleague) == {"Own": (1, 1)}


#: Session values unlike the counting plan's, to see that they come back.
SESSION = {"max_parallel_workers_per_gather": "3", "enable_hashagg": "on", "jit": "on", "work_mem": "5MB"}


def settings_now(names) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(['current_setting(%s)'] * len(names))}", list(names))
        return dict(zip(names, cursor.fetchone(), strict=True))


def postgresql_only() -> None:
    """The counting plan is PostgreSQL's planner settings (SQLite has none to set)."""
    if connection.vendor != "postgresql":
        missing("the counting plan is PostgreSQL's: run the tests on PostgreSQL (DATABASE_URL)")


def test_the_counting_plan_leaves_the_settings_as_they_were(staff_user: User) -> None:
    postgresql_only()
    assert set(SESSION) == set(COUNTING_PLAN)
    get_api().create_folder(actor=staff_user, name="Top")
    with connection.cursor() as cursor:
        for name, value in SESSION.items():
            cursor.execute("SELECT set_config(%s, %s, false)", [name, value])
    assert connection.in_atomic_block  # the test's transaction: the plan restores each setting
    get_api().folder_tree(actor=staff_user)
    assert settings_now(list(SESSION)) == SESSION


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_plan_ends_with_the_count(clinic: Institution) -> None:
    postgresql_only()
    user = make_user("sam2", Role.STAFF, [clinic])
    get_api().create_folder(actor=user, name="Top")
    before = settings_now(list(COUNTING_PLAN))
    assert not connection.in_atomic_block
    get_api().folder_tree(actor=user)
    assert settings_now(list(COUNTING_PLAN)) == before
