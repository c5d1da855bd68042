"""search_orders: every filter, sorting, paging, roles, and the number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.local.models import FlagGroupRecord, FlagRecord, Institution, PatientOrder
from postdicom.types import OrderQuery, OrderStatus
from tests.postdicom.local.orders_setup import create, group_with, limited, uid


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def orders(staff_user: User, admin_user: User, clinic: Institution, other_clinic: Institution) -> dict[str, Any]:
    """A small, varied set of orders in two institutions."""
    return {
        "pena": create(
            staff_user,
            clinic,
            patient_name="PEÑA^María",
            patient_id="MRN-1001",
            other_patient_id="DNI-55",
            accession_number="AN-2026-1",
            modality="CT",
            order_date=dt.date(2026, 3, 1),
            birth_date=dt.date(1980, 1, 1),
        ),
        "omega": create(
            staff_user,
            clinic,
            patient_name="Ωμέγα^Νίκος",
            patient_id="MRN-1002",
            accession_number="AN-2026-2",
            modality="MR",
            order_date=dt.date(2026, 3, 10),
            birth_date=dt.date(1990, 6, 1),
        ),
        "yamada": create(
            staff_user,
            clinic,
            patient_name="山田^太郎",
            patient_id="JP-7",
            accession_number="B-1",
            modality="US",
            order_date=dt.date(2026, 2, 20),
            birth_date=None,
        ),
        "north": create(
            admin_user,
            other_clinic,
            patient_name="PENALVA^Juan",
            patient_id="MRN-1001",
            accession_number="AN-2026-1",
            modality="CT",
            order_date=dt.date(2026, 3, 5),
            birth_date=dt.date(1975, 5, 5),
        ),
    }


def _ids(actor: User, **filters: Any) -> list[Any]:
    return [o.id for o in get_api().search_orders(actor=actor, query=OrderQuery(**filters)).items]


def _names(actor: User, **filters: Any) -> set[str]:
    return {o.patient_name for o in get_api().search_orders(actor=actor, query=OrderQuery(**filters)).items}


# --- Filters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pena", {"PEÑA^María", "PENALVA^Juan"}),
        ("PEÑA", {"PEÑA^María", "PENALVA^Juan"}),
        ("peña maria", {"PEÑA^María"}),
        ("maría", {"PEÑA^María"}),
        ("ari", {"PEÑA^María"}),
        ("alva", {"PENALVA^Juan"}),
        ("νικος", {"Ωμέγα^Νίκος"}),
        ("ΩΜΈΓΑ", {"Ωμέγα^Νίκος"}),
        ("太郎", {"山田^太郎"}),
        ("山田 太郎", {"山田^太郎"}),
        # as the list shows names ("LAST, FIRST"), and as DICOM writes them
        ("peña, maría", {"PEÑA^María"}),
        ("PENA,MARIA", {"PEÑA^María"}),
        ("Peña, María", {"PEÑA^María"}),
        ("peña^maría", {"PEÑA^María"}),
        ("PEÑA^", {"PEÑA^María", "PENALVA^Juan"}),
        ("zzz", set()),
    ],
)
def test_name_matches_part_of_any_component(
    admin_user: User, orders: dict[str, Any], text: str, expected: set[str]
) -> None:
    assert _names(admin_user, patient_name=text) == expected


@pytest.mark.parametrize("text", ["pe", "a", " ñ ", "太", "pe,", ", ,", "^a^"])
def test_name_needs_three_characters(admin_user: User, orders: dict[str, Any], text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        get_api().search_orders(actor=admin_user, query=OrderQuery(patient_name=text))
    assert "patient_name" in caught.value.field_errors


def test_blank_name_is_no_filter(admin_user: User, orders: dict[str, Any]) -> None:
    assert len(_ids(admin_user, patient_name="   ")) == 4


def test_ids_match_exactly_or_by_their_beginning_ignoring_case(admin_user: User, orders: dict[str, Any]) -> None:
    assert _names(admin_user, patient_id="MRN-1001") == {"PEÑA^María", "PENALVA^Juan"}
    assert _names(admin_user, patient_id="mrn-100") == {"PEÑA^María", "PENALVA^Juan", "Ωμέγα^Νίκος"}
    assert _names(admin_user, patient_id="1001") == set()  # not the middle
    assert _names(admin_user, other_patient_id="dni") == {"PEÑA^María"}
    assert _names(admin_user, accession_number="AN-2026-2") == {"Ωμέγα^Νίκος"}
    assert _names(admin_user, accession_number="b-") == {"山田^太郎"}


def test_modalities_institutions_and_dates(
    admin_user: User, orders: dict[str, Any], clinic: Institution, other_clinic: Institution
) -> None:
    assert _names(admin_user, modalities=("ct", "US")) == {"PEÑA^María", "PENALVA^Juan", "山田^太郎"}
    assert _names(admin_user, institution_ids=(other_clinic.uuid,)) == {"PENALVA^Juan"}
    assert len(_ids(admin_user, institution_ids=(other_clinic.uuid, clinic.uuid))) == 4
    march = {"date_from": dt.date(2026, 3, 1), "date_to": dt.date(2026, 3, 5)}
    assert _names(admin_user, **march) == {"PEÑA^María", "PENALVA^Juan"}
    assert _names(admin_user, modalities=("CT",), date_from=dt.date(2026, 3, 2)) == {"PENALVA^Juan"}
    births = {"birth_date_from": dt.date(1976, 1, 1), "birth_date_to": dt.date(1985, 12, 31)}
    assert _names(admin_user, **births) == {"PEÑA^María"}


def test_reversed_ranges_are_refused(admin_user: User) -> None:
    query = OrderQuery(
        date_from=dt.date(2026, 3, 2),
        date_to=dt.date(2026, 3, 1),
        birth_date_from=dt.date(2000, 1, 2),
        birth_date_to=dt.date(2000, 1, 1),
    )
    with pytest.raises(InvalidInput) as caught:
        get_api().search_orders(actor=admin_user, query=query)
    assert set(caught.value.field_errors) == {"date_to", "birth_date_to"}


def test_institutions_are_intersected_with_what_the_actor_sees(
    staff_user: User, orders: dict[str, Any], other_clinic: Institution
) -> None:
    assert _ids(staff_user, institution_ids=(other_clinic.uuid,)) == []


def test_statuses(admin_user: User, orders: dict[str, Any]) -> None:
    PatientOrder.objects.filter(uuid=orders["omega"].id).update(status=OrderStatus.IMAGES_RECEIVED.value)
    assert _names(admin_user, statuses=(OrderStatus.IMAGES_RECEIVED,)) == {"Ωμέγα^Νίκος"}
    assert len(_ids(admin_user, statuses=(OrderStatus.SCHEDULED, OrderStatus.IMAGES_RECEIVED))) == 4


def test_flag_and_flagged(staff_user: User, admin_user: User, orders: dict[str, Any]) -> None:
    urgency = FlagGroupRecord.objects.create(name="Urgency")
    urgent = FlagRecord.objects.create(group=urgency, name="Urgent", color="#cc0000")
    review = FlagGroupRecord.objects.create(name="Review")
    second = FlagRecord.objects.create(group=review, name="Second opinion", color="#0000cc")
    api = get_api()
    api.set_order_flag(actor=staff_user, order_id=orders["pena"].id, group_id=urgency.uuid, flag_id=urgent.uuid)
    api.set_order_flag(actor=admin_user, order_id=orders["north"].id, group_id=review.uuid, flag_id=second.uuid)
    assert _names(admin_user, flag_id=urgent.uuid) == {"PEÑA^María"}
    assert _names(admin_user, flagged=True) == {"PEÑA^María", "PENALVA^Juan"}
    assert _names(staff_user, flagged=True) == {"PEÑA^María"}


def test_assigned_to_me_directly_or_through_a_group(
    staff_user: User, admin_user: User, orders: dict[str, Any], clinic: Institution
) -> None:
    api = get_api()
    api.assign_order(actor=admin_user, order_id=orders["pena"].id, user_id=uid(staff_user))
    group = group_with(staff_user)
    api.assign_order(actor=admin_user, order_id=orders["omega"].id, group_id=group.uuid)
    assert _names(staff_user, assigned_to_me=True) == {"PEÑA^María", "Ωμέγα^Νίκος"}
    assert _names(admin_user, assigned_to_me=True) == set()


def test_folder_filter_refuses_an_unknown_folder(admin_user: User) -> None:
    # Filing and the folder filter itself: tests/postdicom/local/test_folders_membership.py
    with pytest.raises(InvalidInput) as caught:
        get_api().search_orders(actor=admin_user, query=OrderQuery(folder_id=uuid4()))
    assert "folder_id" in caught.value.field_errors


def test_deleted_orders_vanish(staff_user: User, orders: dict[str, Any]) -> None:
    get_api().delete_order(actor=staff_user, order_id=orders["pena"].id)
    assert orders["pena"].id not in _ids(staff_user)
    assert _ids(staff_user, patient_name="peña") == []


# --- Roles -----------------------------------------------------------------------------------------


def test_the_same_query_by_two_roles_gives_different_results(
    staff_user: User, outsider: User, limited_user: User, admin_user: User, orders: dict[str, Any], clinic: Institution
) -> None:
    get_api().assign_order(actor=staff_user, order_id=orders["omega"].id, user_id=uid(limited_user))
    query = {"patient_id": "MRN"}
    assert _names(admin_user, **query) == {"PEÑA^María", "Ωμέγα^Νίκος", "PENALVA^Juan"}
    assert _names(staff_user, **query) == {"PEÑA^María", "Ωμέγα^Νίκος"}
    assert _names(outsider, **query) == {"PENALVA^Juan"}
    assert _names(limited_user, **query) == {"Ωμέγα^Νίκος"}
    assert _names(limited("lena", clinic), **query) == set()


# --- Sorting and paging ----------------------------------------------------------------------------


def test_default_sort_is_newest_first(admin_user: User, orders: dict[str, Any]) -> None:
    assert _ids(admin_user) == [orders[k].id for k in ("omega", "north", "pena", "yamada")]


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("patient_name", "pena"),
        ("-patient_name", "yamada"),
        ("patient_id", "yamada"),
        ("order_date", "yamada"),
        ("modality", "north"),
        ("-modality", "yamada"),
        ("accession_number", "north"),
        ("-accession_number", "yamada"),
        ("institution", "omega"),  # Clínica Central, then newest first
        ("-institution", "north"),
        ("status", "north"),  # scheduled first (newest first), then images received
        ("-status", "omega"),
    ],
)
def test_sorting(admin_user: User, orders: dict[str, Any], sort: str, first: str) -> None:
    PatientOrder.objects.filter(uuid=orders["omega"].id).update(status=OrderStatus.IMAGES_RECEIVED.value)
    assert _ids(admin_user, sort=sort)[0] == orders[first].id


@pytest.mark.parametrize("sort", ["birth_date", "patient_name_search; drop table x", "--order_date", "uuid"])
def test_unknown_sort_is_refused(admin_user: User, sort: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        get_api().search_orders(actor=admin_user, query=OrderQuery(sort=sort))
    assert "sort" in caught.value.field_errors


def test_paging_with_total(admin_user: User, orders: dict[str, Any]) -> None:
    first = get_api().search_orders(actor=admin_user, query=OrderQuery(page_size=3))
    second = get_api().search_orders(actor=admin_user, query=OrderQuery(page_size=3, page=2))
    assert (first.total, first.pages, len(first.items), first.has_next) == (4, 2, 3, True)
    assert (second.number, len(second.items), second.has_next) == (2, 1, False)
    assert {o.id for o in first.items + second.items} == {o.id for o in orders.values()}


def test_a_page_past_the_end_gives_the_last_page(admin_user: User, orders: dict[str, Any]) -> None:
    page = get_api().search_orders(actor=admin_user, query=OrderQuery(page_size=3, page=9))
    assert (page.number, page.total, len(page.items)) == (2, 4, 1)
    empty = get_api().search_orders(actor=admin_user, query=OrderQuery(patient_name="nobody", page=3))
    assert (empty.number, empty.total, empty.items) == (1, 0, ())


def test_orders_without_a_time_come_last_in_their_day(staff_user: User, clinic: Institution) -> None:
    day = dt.date(2026, 5, 5)
    untimed = create(staff_user, clinic, order_date=day, order_time=None)
    early = create(staff_user, clinic, order_date=day, order_time=dt.time(8, 0), patient_id="P-2")
    late = create(staff_user, clinic, order_date=day, order_time=dt.time(18, 0), patient_id="P-3")
    assert _ids(staff_user) == [late.id, early.id, untimed.id]
    assert _ids(staff_user, sort="order_date") == [early.id, late.id, untimed.id]


def test_a_page_costs_a_fixed_number_of_queries(staff_user: User, clinic: Institution) -> None:
    urgency = FlagGroupRecord.objects.create(name="Urgency")
    urgent = FlagRecord.objects.create(group=urgency, name="Urgent", color="#cc0000")
    for n in range(12):
        order = create(staff_user, clinic, patient_id=f"Q-{n}")
        get_api().set_order_flag(actor=staff_user, order_id=order.id, group_id=urgency.uuid, flag_id=urgent.uuid)
    with CaptureQueriesContext(connection) as queries:
        page = get_api().search_orders(actor=staff_user, query=OrderQuery(patient_name="pena", flagged=True))
    assert page.total == 12
    assert all(o.flags[0].name == "Urgent" for o in page.items)
    # profile + institutions of the actor, the folder shares that may show them more orders,
    # count, page, flags, and the audit event of the search
    assert len(queries) <= 7, [q["sql"] for q in queries]


def test_limited_users_query_is_one_union_of_ids(limited_user: User, staff_user: User, clinic: Institution) -> None:
    """Their visibility is ``id IN (… UNION …)``, which PostgreSQL plans from the few ids."""
    order = create(staff_user, clinic)
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))
    with CaptureQueriesContext(connection) as queries:
        assert get_api().search_orders(actor=limited_user, query=OrderQuery()).total == 1
    page_sql = next(q["sql"] for q in queries if "postdicom_patientorder" in q["sql"] and "LIMIT" in q["sql"])
    assert "UNION" in page_sql.upper()
