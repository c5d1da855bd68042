"""Folders in the local backend: create, rename, move, delete, list, tree, search; who may."""

from __future__ import annotations

from uuid import uuid4

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postdicom import get_api
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import AuditRecord, Folder, FolderOrder, Institution, PatientOrder
from postdicom.types import FOLDER_DEPTH_MAX, FOLDER_NAME_MAX, Role
from tests.conftest import make_user
from tests.missing import missing
from tests.postdicom.local.orders_setup import create

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(clinic: Institution) -> User:
    """Staff in the same institution as ``staff_user``: sees the same orders, not the folders."""
    return make_user("cole", Role.STAFF, [clinic])


def folder_events(folder_id=None) -> list[tuple[str, str]]:
    rows = AuditRecord.objects.filter(target_type="folder").order_by("at", "id")
    if folder_id is not None:
        rows = rows.filter(target_id=str(folder_id))
    return list(rows.values_list("action", "target_label"))


def names(folders) -> list[str]:
    return [f.name for f in folders]


def field_error(caught: pytest.ExceptionInfo[InvalidInput], field: str) -> str:
    assert field in caught.value.field_errors, caught.value.field_errors
    return caught.value.field_errors[field][0]


class TestCreate:
    def test_at_the_top_level_with_description(self, staff_user: User) -> None:
        folder = get_api().create_folder(actor=staff_user, name="  Cardiology  ", description=" Heart studies ")
        assert (folder.name, folder.description, folder.parent_id, folder.ancestors) == (
            "Cardiology",
            "Heart studies",
            None,
            (),
        )
        row = Folder.objects.get(uuid=folder.id)
        assert (row.owner, row.path) == (staff_user, "/")
        assert folder_events() == [("folder.created", "Cardiology")]

    def test_inside_another(self, staff_user: User) -> None:
        api = get_api()
        parent = api.create_folder(actor=staff_user, name="Cardiology")
        child = api.create_folder(actor=staff_user, name="2026", parent_id=parent.id)
        assert child.parent_id == parent.id
        assert child.path_label == "Cardiology / 2026"
        assert Folder.objects.get(uuid=child.id).path == f"/{Folder.objects.get(uuid=parent.id).pk}/"

    def test_a_path_creates_each_missing_level_and_reuses_existing_ones(self, staff_user: User) -> None:
        api = get_api()
        cardiology = api.create_folder(actor=staff_user, name="Cardiology")
        march = api.create_folder(actor=staff_user, name="cardiology / 2026//March/", description="Echo")
        assert march.path_label == "Cardiology / 2026 / March"
        assert march.ancestors[0].id == cardiology.id
        assert march.description == "Echo"
        assert Folder.objects.filter(owner=staff_user).count() == 3
        assert Folder.objects.get(name="2026").description == ""  # the description goes to the last level
        april = api.create_folder(actor=staff_user, name="Cardiology/2026/April")
        assert april.ancestors == march.ancestors
        assert [label for _action, label in folder_events()] == [
            "Cardiology",
            "Cardiology / 2026",
            "Cardiology / 2026 / March",
            "Cardiology / 2026 / April",
        ]

    @pytest.mark.parametrize("name", ["", "   ", "/", " / // ", "\t/\n"])
    def test_empty_names_and_only_slashes_are_refused(self, staff_user: User, name: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            get_api().create_folder(actor=staff_user, name=name)
        assert field_error(caught, "name")
        assert not Folder.objects.exists()
        assert not folder_events()

    def test_the_message_says_what_is_wrong(self, staff_user: User) -> None:
        with pytest.raises(InvalidInput) as caught:
            get_api().create_folder(actor=staff_user, name="//")
        assert "slashes" in field_error(caught, "name")

    def test_names_are_unique_among_siblings_ignoring_case(self, staff_user: User, colleague: User) -> None:
        api = get_api()
        parent = api.create_folder(actor=staff_user, name="Cardiology/2026")
        with pytest.raises(InvalidInput) as caught:
            api.create_folder(actor=staff_user, name="CARDIOLOGY")
        assert "Cardiology" in field_error(caught, "name")
        with pytest.raises(InvalidInput):
            api.create_folder(actor=staff_user, name="2026", parent_id=parent.ancestors[0].id)
        # the same name elsewhere in the tree, or in someone else's tree, is fine
        api.create_folder(actor=staff_user, name="Cardiology", parent_id=parent.id)
        api.create_folder(actor=colleague, name="Cardiology")

    def test_too_long_control_characters_and_too_deep(self, staff_user: User) -> None:
        api = get_api()
        with pytest.raises(InvalidInput):
            api.create_folder(actor=staff_user, name="x" * (FOLDER_NAME_MAX + 1))
        with pytest.raises(InvalidInput):
            api.create_folder(actor=staff_user, name="nul\x00byte")
        with pytest.raises(InvalidInput) as caught:
            api.create_folder(actor=staff_user, name="ok", description="d" * 1001)
        assert field_error(caught, "description")
        api.create_folder(actor=staff_user, name="/".join(str(n) for n in range(FOLDER_DEPTH_MAX)))
        with pytest.raises(InvalidInput) as caught:
            api.create_folder(actor=staff_user, name="/".join(str(n) for n in range(FOLDER_DEPTH_MAX + 1)))
        assert "levels" in field_error(caught, "name")

    def test_inside_someone_elses_folder_is_not_found(self, staff_user: User, colleague: User, admin_user) -> None:
        theirs = get_api().create_folder(actor=colleague, name="Private")
        for actor in (staff_user, admin_user):
            with pytest.raises(NotFound):
                get_api().create_folder(actor=actor, name="Intruder", parent_id=theirs.id)
        with pytest.raises(NotFound):
            get_api().create_folder(actor=staff_user, name="Nowhere", parent_id=uuid4())
        assert Folder.objects.count() == 1

    def test_every_active_role_has_folders_inactive_users_none(
        self, admin_user: User, limited_user: User, clinic: Institution
    ) -> None:
        api = get_api()
        assert api.create_folder(actor=admin_user, name="Mine").name == "Mine"
        assert api.create_folder(actor=limited_user, name="Mine").name == "Mine"
        gone = make_user("gone", Role.STAFF, [clinic], is_active=False)
        with pytest.raises(Forbidden):
            api.create_folder(actor=gone, name="Mine")


class TestUpdate:
    def test_rename_and_describe(self, staff_user: User) -> None:
        api = get_api()
        folder = api.create_folder(actor=staff_user, name="Cardiology/2026")
        renamed = api.update_folder(actor=staff_user, folder_id=folder.id, name=" Year  2026 ", description="All")
        assert (renamed.name, renamed.description, renamed.path_label) == ("Year 2026", "All", "Cardiology / Year 2026")
        described = api.update_folder(actor=staff_user, folder_id=folder.id, name="Year 2026", description="")
        assert described.description == ""
        api.update_folder(actor=staff_user, folder_id=folder.id, name="Year 2026", description="")  # no change
        events = AuditRecord.objects.filter(target_id=str(folder.id)).order_by("id")
        assert [(e.action, e.target_label) for e in events] == [
            ("folder.created", "Cardiology / 2026"),
            ("folder.renamed", "Cardiology / Year 2026"),
            ("folder.updated", "Cardiology / Year 2026"),
        ]
        assert events[1].detail == {"renamed_from": "2026", "description_changed": True}

    def test_a_change_of_case_is_a_rename(self, staff_user: User) -> None:
        api = get_api()
        folder = api.create_folder(actor=staff_user, name="cardiology")
        assert api.update_folder(actor=staff_user, folder_id=folder.id, name="Cardiology", description="").name == (
            "Cardiology"
        )

    @pytest.mark.parametrize("name", ["", "  ", "a/b", "/"])
    def test_bad_names_are_refused(self, staff_user: User, name: str) -> None:
        folder = get_api().create_folder(actor=staff_user, name="Cardiology")
        with pytest.raises(InvalidInput) as caught:
            get_api().update_folder(actor=staff_user, folder_id=folder.id, name=name, description="")
        assert field_error(caught, "name")
        assert Folder.objects.get(uuid=folder.id).name == "Cardiology"

    def test_a_siblings_name_is_refused(self, staff_user: User) -> None:
        api = get_api()
        api.create_folder(actor=staff_user, name="Cardiology")
        other = api.create_folder(actor=staff_user, name="Neurology")
        with pytest.raises(InvalidInput):
            api.update_folder(actor=staff_user, folder_id=other.id, name="CARDIOLOGY", description="")

    def test_someone_elses_folder_is_not_found(self, staff_user: User, colleague: User, admin_user: User) -> None:
        folder = get_api().create_folder(actor=staff_user, name="Cardiology")
        for actor in (colleague, admin_user):
            with pytest.raises(NotFound):
                get_api().update_folder(actor=actor, folder_id=folder.id, name="Mine", description="")
        assert Folder.objects.get(uuid=folder.id).name == "Cardiology"


class TestMove:
    def test_under_another_folder_with_its_sub_folders(self, staff_user: User) -> None:
        api = get_api()
        march = api.create_folder(actor=staff_user, name="Inbox/2026/March")
        year = api.get_folder(actor=staff_user, folder_id=march.ancestors[-1].id)
        archive = api.create_folder(actor=staff_user, name="Archive/Cardiology")
        moved = api.move_folder(actor=staff_user, folder_id=year.id, parent_id=archive.id)
        assert moved.path_label == "Archive / Cardiology / 2026"
        assert api.get_folder(actor=staff_user, folder_id=march.id).path_label == "Archive / Cardiology / 2026 / March"
        rows = {r.name: r for r in Folder.objects.all()}
        assert rows["March"].path == f"/{rows['Archive'].pk}/{rows['Cardiology'].pk}/{rows['2026'].pk}/"
        assert rows["2026"].parent == rows["Cardiology"]
        event = AuditRecord.objects.get(action="folder.moved")
        assert (event.target_label, event.detail) == (
            "Archive / Cardiology / 2026",
            {"from_parent": "Inbox", "to_parent": "Archive / Cardiology"},
        )

    def test_to_the_top_level_and_where_it_already_is(self, staff_user: User) -> None:
        api = get_api()
        march = api.create_folder(actor=staff_user, name="Inbox/March")
        assert api.move_folder(actor=staff_user, folder_id=march.id, parent_id=march.parent_id).parent_id is not None
        assert not AuditRecord.objects.filter(action="folder.moved").exists()
        top = api.move_folder(actor=staff_user, folder_id=march.id, parent_id=None)
        assert (top.parent_id, top.ancestors) == (None, ())
        assert Folder.objects.get(uuid=march.id).path == "/"

    def test_never_into_itself_or_below_itself(self, staff_user: User) -> None:
        api = get_api()
        march = api.create_folder(actor=staff_user, name="Inbox/2026/March")
        inbox = march.ancestors[0].id
        for target in (inbox, march.parent_id, march.id):
            with pytest.raises(InvalidInput) as caught:
                api.move_folder(actor=staff_user, folder_id=inbox, parent_id=target)
            assert "sub-folders" in field_error(caught, "parent_id")
        assert Folder.objects.get(uuid=inbox).path == "/"

    def test_not_next_to_a_folder_of_the_same_name(self, staff_user: User) -> None:
        api = get_api()
        api.create_folder(actor=staff_user, name="March")
        nested = api.create_folder(actor=staff_user, name="2026/march")
        with pytest.raises(InvalidInput) as caught:
            api.move_folder(actor=staff_user, folder_id=nested.id, parent_id=None)
        assert "march" in field_error(caught, "parent_id")

    def test_not_deeper_than_the_limit(self, staff_user: User) -> None:
        api = get_api()
        deep = api.create_folder(actor=staff_user, name="/".join(str(n) for n in range(FOLDER_DEPTH_MAX - 1)))
        pair = api.create_folder(actor=staff_user, name="a/b")
        with pytest.raises(InvalidInput):
            api.move_folder(actor=staff_user, folder_id=pair.ancestors[-1].id, parent_id=deep.id)
        api.move_folder(actor=staff_user, folder_id=pair.id, parent_id=deep.id)  # one level fits

    def test_someone_elses_folders_are_not_found(self, staff_user: User, colleague: User, admin_user: User) -> None:
        api = get_api()
        mine = api.create_folder(actor=staff_user, name="Mine")
        theirs = api.create_folder(actor=colleague, name="Theirs")
        with pytest.raises(NotFound):
            api.move_folder(actor=staff_user, folder_id=mine.id, parent_id=theirs.id)
        with pytest.raises(NotFound):
            api.move_folder(actor=staff_user, folder_id=theirs.id, parent_id=None)
        with pytest.raises(NotFound):
            api.move_folder(actor=admin_user, folder_id=mine.id, parent_id=None)


class TestDelete:
    def test_deletes_sub_folders_and_keeps_the_orders(self, staff_user: User, clinic: Institution) -> None:
        api = get_api()
        march = api.create_folder(actor=staff_user, name="Cardiology/2026/March")
        other = api.create_folder(actor=staff_user, name="Neurology")
        order = create(staff_user, clinic)
        for folder_id in (march.id, march.ancestors[-1].id, other.id):
            api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[folder_id])
        api.delete_folder(actor=staff_user, folder_id=march.ancestors[0].id)
        assert list(Folder.objects.values_list("name", flat=True)) == ["Neurology"]
        assert PatientOrder.objects.filter(uuid=order.id, deleted_at__isnull=True).exists()
        assert FolderOrder.objects.count() == 1
        event = AuditRecord.objects.get(action="folder.deleted")
        assert (event.target_label, event.detail) == ("Cardiology", {"sub_folders_deleted": 2, "orders_removed": 2})
        assert api.order_folders(actor=staff_user, order_id=order.id)[0].id == other.id

    def test_someone_elses_folder_is_not_found(self, staff_user: User, colleague: User, admin_user: User) -> None:
        folder = get_api().create_folder(actor=staff_user, name="Cardiology")
        for actor in (colleague, admin_user):
            with pytest.raises(NotFound):
                get_api().delete_folder(actor=actor, folder_id=folder.id)
        assert Folder.objects.filter(uuid=folder.id).exists()
        with pytest.raises(NotFound):
            get_api().delete_folder(actor=staff_user, folder_id=uuid4())


class TestRead:
    def test_tree_is_depth_first_by_name_with_counts(self, staff_user: User, clinic: Institution) -> None:
        api = get_api()
        for path in ("b/y", "B/x/deep", "a", "c"):
            api.create_folder(actor=staff_user, name=path)
        orders = [create(staff_user, clinic, patient_id=f"P-{n}") for n in range(3)]
        tree = api.folder_tree(actor=staff_user)
        by_label = {f.path_label: f for f in tree.folders}
        file = api.add_order_to_folders
        file(actor=staff_user, order_id=orders[0].id, folder_ids=[by_label["b"].id, by_label["b / x / deep"].id])
        file(actor=staff_user, order_id=orders[1].id, folder_ids=[by_label["b / x / deep"].id])
        file(actor=staff_user, order_id=orders[2].id, folder_ids=[by_label["b / y"].id, by_label["a"].id])
        tree = api.folder_tree(actor=staff_user)
        assert [f.path_label for f in tree.folders] == ["a", "b", "b / x", "b / x / deep", "b / y", "c"]
        counts = {
            f.path_label: (f.order_count, f.all_sub_order_count, f.sub_folder_count, f.all_sub_folder_count)
            for f in tree.folders
        }
        assert counts == {
            "a": (1, 1, 0, 0),
            "b": (1, 4, 2, 3),
            "b / x": (0, 2, 1, 1),
            "b / x / deep": (2, 2, 0, 0),
            "b / y": (1, 1, 0, 0),
            "c": (0, 0, 0, 0),
        }
        assert names(tree.roots) == ["a", "b", "c"]
        assert names(tree.children(by_label["b"].id)) == ["x", "y"]
        assert tree.subtree_ids(by_label["b / x"].id) == {by_label["b / x"].id, by_label["b / x / deep"].id}
        plain = api.folder_tree(actor=staff_user, with_counts=False)
        assert [f.path_label for f in plain.folders] == [f.path_label for f in tree.folders]
        plain_b = plain.get(by_label["b"].id)
        assert plain_b is not None
        assert plain_b.order_count == 0  # names only: no counts

    def test_lists_sort_accents_among_their_letter(self, staff_user: User, clinic: Institution) -> None:
        api = get_api()
        for path in ("Bilbao", "Ávila", "Avila", "zamora", "Cáceres/Óbidos", "Cáceres/Oporto"):
            api.create_folder(actor=staff_user, name=path)
        tree = api.folder_tree(actor=staff_user)
        assert names(tree.roots) == ["Avila", "Ávila", "Bilbao", "Cáceres", "zamora"]
        caceres = next(f for f in tree.folders if f.name == "Cáceres")
        assert names(tree.children(caceres.id)) == ["Óbidos", "Oporto"]
        assert names(api.list_folders(actor=staff_user).sub_folders) == names(tree.roots)
        assert names(api.list_folders(actor=staff_user, name="avila").sub_folders) == ["Avila", "Ávila"]
        assert names(api.search_folders(actor=staff_user, text="AVILA")) == ["Avila", "Ávila"]
        order = create(staff_user, clinic)
        by_name = {f.name: f.id for f in tree.folders}
        api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[by_name["zamora"], by_name["Ávila"]])
        assert names(api.order_folders(actor=staff_user, order_id=order.id)) == ["Ávila", "zamora"]

    def test_get_folder_has_its_counts_and_ancestors(self, staff_user: User, clinic: Institution) -> None:
        api = get_api()
        deep = api.create_folder(actor=staff_user, name="b/x/deep")
        api.add_order_to_folders(actor=staff_user, order_id=create(staff_user, clinic).id, folder_ids=[deep.id])
        x = api.get_folder(actor=staff_user, folder_id=deep.ancestors[-1].id)
        assert (x.path_label, x.order_count, x.all_sub_order_count, x.sub_folder_count, x.all_sub_folder_count) == (
            "b / x",
            0,
            1,
            1,
            1,
        )
        assert x.parent_id == deep.ancestors[0].id

    def test_the_whole_tree_takes_a_few_queries(self, staff_user: User, clinic: Institution) -> None:
        api = get_api()
        order = create(staff_user, clinic)

        def tree_queries() -> tuple[int, list[str]]:
            ids = [f.id for f in api.folder_tree(actor=staff_user, with_counts=False).folders]
            FolderOrder.objects.all().delete()
            api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=ids)
            with CaptureQueriesContext(connection) as queries:
                tree = api.folder_tree(actor=staff_user)
            assert tree.roots[0].all_sub_order_count == 3
            return len(tree), [q["sql"] for q in queries if " FROM " in q["sql"]]

        api.create_folder(actor=staff_user, name="Top/Middle/Leaf")
        small, small_reads = tree_queries()
        for n in range(30):
            api.create_folder(actor=staff_user, name=f"Top {n}/Middle/Leaf")
        large, large_reads = tree_queries()
        assert (small, large) == (3, 93)
        # the profile, the folder shares that may show the actor more orders, the folders, the counts
        assert len(large_reads) == len(small_reads) <= 4

    def test_counts_leave_the_parallel_setting_as_it_was(self, staff_user: User) -> None:
        if connection.vendor != "postgresql":
            missing("the counting plan is PostgreSQL's: run the tests on PostgreSQL (DATABASE_URL)")
        get_api().create_folder(actor=staff_user, name="Top")
        with connection.cursor() as cursor:
            cursor.execute("SET max_parallel_workers_per_gather = 3")
            get_api().folder_tree(actor=staff_user)
            cursor.execute("SHOW max_parallel_workers_per_gather")
            assert cursor.fetchone()[0] == "3"

    def test_list_folders_is_get_folder_list(self, staff_user: User, limited_user, clinic: Institution) -> None:
        api = get_api()
        api.create_folder(actor=staff_user, name="Cardiology/2026")
        api.create_folder(actor=staff_user, name="Cardiology/2025")
        api.create_folder(actor=staff_user, name="Cardiology/Echo")
        api.create_folder(actor=staff_user, name="Neurology")
        top = api.list_folders(actor=staff_user)
        assert top.folder is None
        assert names(top.sub_folders) == ["Cardiology", "Neurology"]
        assert top.sub_folders[0].all_sub_folder_count == 3
        assert names(api.list_folders(actor=staff_user, name="NEURO").sub_folders) == ["Neurology"]
        cardiology = top.sub_folders[0].id
        listing = api.list_folders(actor=staff_user, parent_id=cardiology, name="20")
        assert listing.folder is not None
        assert listing.folder.id == cardiology
        assert names(listing.sub_folders) == ["2025", "2026"]
        assert listing.orders == ()
        order = create(staff_user, clinic)
        api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[cardiology])
        assert [o.id for o in api.list_folders(actor=staff_user, parent_id=cardiology, with_orders=True).orders] == [
            order.id
        ]
        assert api.list_folders(actor=limited_user).sub_folders == ()

    def test_search_finds_folders_at_any_depth(self, staff_user: User, colleague: User) -> None:
        api = get_api()
        api.create_folder(actor=staff_user, name="Cardiology/2026/Echo  cardio")
        api.create_folder(actor=staff_user, name="Neurology")
        api.create_folder(actor=colleague, name="Cardiology")
        found = api.search_folders(actor=staff_user, text=" CARDIO ")
        assert [f.path_label for f in found] == ["Cardiology", "Cardiology / 2026 / Echo cardio"]
        assert api.search_folders(actor=staff_user, text="echo cardio")[0].name == "Echo cardio"
        assert api.search_folders(actor=staff_user, text="   ") == ()
        assert len(api.search_folders(actor=staff_user, text="o", limit=2)) == 2

    def test_private_trees(self, staff_user: User, colleague: User, admin_user: User, limited_user: User) -> None:
        api = get_api()
        folder = api.create_folder(actor=staff_user, name="Cardiology")
        for actor in (colleague, admin_user, limited_user):
            assert len(api.folder_tree(actor=actor)) == 0
            assert api.list_folders(actor=actor).sub_folders == ()
            assert api.search_folders(actor=actor, text="cardio") == ()
            with pytest.raises(NotFound):
                api.get_folder(actor=actor, folder_id=folder.id)
            with pytest.raises(NotFound):
                api.list_folders(actor=actor, parent_id=folder.id)
