"""Filing orders in folders, taking them out, the folders of an order, and the folder filter
of the order search: with the visibility rule of each role."""

from __future__ import annotations

from uuid import uuid4

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postdicom import get_api
from postdicom.errors import InvalidInput, NotFound
from postdicom.local.models import AuditRecord, FolderOrder, Institution, PatientOrder
from postdicom.types import OrderQuery, Role
from tests.conftest import make_user
from tests.postdicom.local.orders_setup import create, uid

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(clinic: Institution) -> User:
    return make_user("cole", Role.STAFF, [clinic])


@pytest.fixture
def order(staff_user: User, clinic: Institution):
    return create(staff_user, clinic, accession_number="AN-1")


def in_folder(actor: User, folder_id, **filters) -> list:
    return [o.id for o in get_api().search_orders(actor=actor, query=OrderQuery(folder_id=folder_id, **filters)).items]


def membership_events() -> list[tuple[str, str, str]]:
    rows = AuditRecord.objects.filter(target_type="folder", action__startswith="folder.order_").order_by("id")
    return [(r.action, r.target_label, r.detail["order"]) for r in rows]


class TestAdd:
    def test_to_several_folders_once_each(self, staff_user: User, order) -> None:
        api = get_api()
        march = api.create_folder(actor=staff_user, name="Cardiology/March")
        urgent = api.create_folder(actor=staff_user, name="Urgent")
        assert api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[march.id, urgent.id]) == 2
        assert api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[urgent.id, urgent.id]) == 0
        assert FolderOrder.objects.count() == 2
        assert membership_events() == [
            ("folder.order_added", "Cardiology / March", "PEÑA, María José · AN-1"),
            ("folder.order_added", "Urgent", "PEÑA, María José · AN-1"),
        ]
        assert AuditRecord.objects.filter(action="folder.order_added")[0].detail["order_id"] == str(order.id)
        assert [f.path_label for f in api.order_folders(actor=staff_user, order_id=order.id)] == [
            "Cardiology / March",
            "Urgent",
        ]

    def test_refusals_change_nothing(self, staff_user: User, colleague: User, order, outsider: User, other_clinic):
        api = get_api()
        mine = api.create_folder(actor=staff_user, name="Mine")
        theirs = api.create_folder(actor=colleague, name="Theirs")
        with pytest.raises(InvalidInput) as caught:
            api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[])
        assert "folder_ids" in caught.value.field_errors
        with pytest.raises(NotFound):  # someone else's folder, even with one of mine
            api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[mine.id, theirs.id])
        with pytest.raises(NotFound):
            api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[uuid4()])
        hidden = create(outsider, other_clinic, patient_id="N-1")
        with pytest.raises(NotFound):  # an order of another institution
            api.add_order_to_folders(actor=staff_user, order_id=hidden.id, folder_ids=[mine.id])
        api.delete_order(actor=staff_user, order_id=order.id)
        with pytest.raises(NotFound):  # in the recycle bin
            api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[mine.id])
        assert not FolderOrder.objects.exists()
        assert not membership_events()

    def test_administrators_file_any_order_in_their_own_folders_only(
        self, admin_user: User, staff_user: User, order
    ) -> None:
        api = get_api()
        staff_folder = api.create_folder(actor=staff_user, name="Staff's")
        admin_folder = api.create_folder(actor=admin_user, name="Admin's")
        assert api.add_order_to_folders(actor=admin_user, order_id=order.id, folder_ids=[admin_folder.id]) == 1
        with pytest.raises(NotFound):
            api.add_order_to_folders(actor=admin_user, order_id=order.id, folder_ids=[staff_folder.id])
        # each sees only their own folders holding the order
        assert [f.name for f in api.order_folders(actor=admin_user, order_id=order.id)] == ["Admin's"]
        assert api.order_folders(actor=staff_user, order_id=order.id) == ()


class TestRemove:
    def test_one_or_many_orders_leave_and_stay(self, staff_user: User, clinic: Institution) -> None:
        api = get_api()
        folder = api.create_folder(actor=staff_user, name="Cardiology")
        orders = [create(staff_user, clinic, patient_id=f"P-{n}", accession_number=f"AN-{n}") for n in range(3)]
        for o in orders:
            api.add_order_to_folders(actor=staff_user, order_id=o.id, folder_ids=[folder.id])
        assert api.remove_orders_from_folder(actor=staff_user, folder_id=folder.id, order_ids=[orders[0].id]) == 1
        ids = [orders[1].id, orders[2].id, orders[0].id]  # orders[0] is no longer in it: skipped
        assert api.remove_orders_from_folder(actor=staff_user, folder_id=folder.id, order_ids=ids) == 2
        assert not FolderOrder.objects.exists()
        assert PatientOrder.objects.filter(deleted_at__isnull=True).count() == 3
        assert [e[0] for e in membership_events()].count("folder.order_removed") == 3

    def test_refusals(self, staff_user: User, colleague: User, order, outsider: User, other_clinic) -> None:
        api = get_api()
        folder = api.create_folder(actor=staff_user, name="Cardiology")
        api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[folder.id])
        with pytest.raises(InvalidInput):
            api.remove_orders_from_folder(actor=staff_user, folder_id=folder.id, order_ids=[])
        with pytest.raises(NotFound):  # the colleague sees the order, not the folder
            api.remove_orders_from_folder(actor=colleague, folder_id=folder.id, order_ids=[order.id])
        hidden = create(outsider, other_clinic, patient_id="N-1")
        with pytest.raises(NotFound):
            api.remove_orders_from_folder(actor=staff_user, folder_id=folder.id, order_ids=[order.id, hidden.id])
        assert FolderOrder.objects.count() == 1


class TestSearchInFolder:
    def test_the_folders_orders_with_other_filters(self, staff_user: User, clinic: Institution) -> None:
        api = get_api()
        folder = api.create_folder(actor=staff_user, name="Cardiology")
        other = api.create_folder(actor=staff_user, name="Other")
        ct = create(staff_user, clinic, patient_id="P-1", modality="CT")
        mr = create(staff_user, clinic, patient_id="P-2", modality="MR")
        outside = create(staff_user, clinic, patient_id="P-3", modality="CT")
        for o in (ct, mr):
            api.add_order_to_folders(actor=staff_user, order_id=o.id, folder_ids=[folder.id])
        api.add_order_to_folders(actor=staff_user, order_id=outside.id, folder_ids=[other.id])
        assert set(in_folder(staff_user, folder.id)) == {ct.id, mr.id}
        assert in_folder(staff_user, folder.id, modalities=("CT",)) == [ct.id]
        page = api.search_orders(actor=staff_user, query=OrderQuery(folder_id=folder.id, page_size=1))
        assert (page.total, len(page.items)) == (2, 1)

    def test_with_its_sub_folders(self, staff_user: User, colleague: User, clinic: Institution) -> None:
        api = get_api()
        march = api.create_folder(actor=staff_user, name="Cardiology/2026/March")
        cardiology, year = march.ancestors
        api.create_folder(actor=colleague, name="Cardiology/2026")  # the same path, someone else's
        top, middle, deep = (create(staff_user, clinic, patient_id=f"P-{n}") for n in range(3))
        for o, f in ((top, cardiology), (middle, year), (deep, march)):
            api.add_order_to_folders(actor=staff_user, order_id=o.id, folder_ids=[f.id])
        assert in_folder(staff_user, cardiology.id) == [top.id]
        assert set(in_folder(staff_user, cardiology.id, include_sub_folders=True)) == {top.id, middle.id, deep.id}
        assert set(in_folder(staff_user, year.id, include_sub_folders=True)) == {middle.id, deep.id}
        assert in_folder(staff_user, march.id, include_sub_folders=True) == [deep.id]
        with pytest.raises(InvalidInput):
            in_folder(colleague, cardiology.id, include_sub_folders=True)

    def test_someone_elses_folder_is_refused(self, staff_user: User, colleague: User, admin_user, order) -> None:
        folder = get_api().create_folder(actor=staff_user, name="Cardiology")
        get_api().add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[folder.id])
        for actor in (colleague, admin_user):
            with pytest.raises(InvalidInput) as caught:
                in_folder(actor, folder.id)
            assert "folder_id" in caught.value.field_errors

    def test_two_queries_and_a_prefetch(self, staff_user: User, order) -> None:
        api = get_api()
        folder = api.create_folder(actor=staff_user, name="Cardiology")
        api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[folder.id])
        in_folder(staff_user, folder.id)  # the profile is cached from here on
        with CaptureQueriesContext(connection) as queries:
            assert in_folder(staff_user, folder.id) == [order.id]
        # the folder, the folder shares that may show the actor more orders, the count, the
        # page, the flags, and the page's image and document counts; the folder's name and the
        # audit event of the folder page (a read)
        assert len(queries) <= 9


class TestVisibility:
    """A folder never shows or counts an order its owner may not see, nor one in the bin."""

    def test_limited_users_file_what_they_see_and_lose_it_when_unassigned(
        self, staff_user: User, limited_user: User, order
    ) -> None:
        api = get_api()
        folder = api.create_folder(actor=limited_user, name="My patients")
        with pytest.raises(NotFound):  # not assigned yet
            api.add_order_to_folders(actor=limited_user, order_id=order.id, folder_ids=[folder.id])
        api.assign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))
        assert api.add_order_to_folders(actor=limited_user, order_id=order.id, folder_ids=[folder.id]) == 1
        assert in_folder(limited_user, folder.id) == [order.id]
        assert api.get_folder(actor=limited_user, folder_id=folder.id).order_count == 1

        api.unassign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))
        assert in_folder(limited_user, folder.id) == []
        listing = api.list_folders(actor=limited_user, parent_id=folder.id, with_orders=True)
        assert listing.orders == ()
        assert listing.folder is not None
        assert listing.folder.order_count == 0
        assert api.folder_tree(actor=limited_user).roots[0].all_sub_order_count == 0
        with pytest.raises(NotFound):
            api.order_folders(actor=limited_user, order_id=order.id)
        with pytest.raises(NotFound):
            api.remove_orders_from_folder(actor=limited_user, folder_id=folder.id, order_ids=[order.id])

        api.assign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))
        assert in_folder(limited_user, folder.id) == [order.id]  # the filing was kept

    def test_orders_in_the_recycle_bin_leave_the_folder_until_restored(self, staff_user: User, order) -> None:
        api = get_api()
        folder = api.create_folder(actor=staff_user, name="Cardiology")
        api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[folder.id])
        api.delete_order(actor=staff_user, order_id=order.id)
        assert in_folder(staff_user, folder.id) == []
        assert api.get_folder(actor=staff_user, folder_id=folder.id).order_count == 0
        api.restore_order(actor=staff_user, order_id=order.id)
        assert in_folder(staff_user, folder.id) == [order.id]
        assert api.get_folder(actor=staff_user, folder_id=folder.id).order_count == 1

    def test_an_order_moved_away_stops_counting(
        self, staff_user: User, admin_user: User, order, other_clinic: Institution
    ) -> None:
        api = get_api()
        folder = api.create_folder(actor=staff_user, name="Cardiology")
        api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[folder.id])
        api.move_order_to_institution(actor=admin_user, order_id=order.id, institution_id=other_clinic.uuid)
        assert api.get_folder(actor=staff_user, folder_id=folder.id).order_count == 0


class TestOrderDetail:
    def test_lists_the_actors_folders_holding_the_order(self, staff_user: User, colleague: User, order) -> None:
        api = get_api()
        march = api.create_folder(actor=staff_user, name="Cardiology/2026/March")
        theirs = api.create_folder(actor=colleague, name="Colleague's")
        api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[march.id])
        api.add_order_to_folders(actor=colleague, order_id=order.id, folder_ids=[theirs.id])
        detail = api.order_properties(actor=staff_user, order_id=order.id)
        assert [(f.id, f.path_label) for f in detail.folders] == [(march.id, "Cardiology / 2026 / March")]
        assert [f.name for f in api.order_properties(actor=colleague, order_id=order.id).folders] == ["Colleague's"]
