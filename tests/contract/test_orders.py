"""The order methods of the contract, on every backend (tests/contract/conftest.py)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.cloud import CloudBackend
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import Institution
from postdicom.types import ORDER_REQUIRED_FIELDS, Capability, OrderFilter, OrderQuery, OrderStatus
from tests.missing import offered
from tests.postdicom.local.orders_setup import create, draft, limited, uid


def test_an_order_created_is_found_and_read_back(api: PostDicomApi, staff_user: User, clinic: Institution) -> None:
    offered(api, Capability.CREATE_ORDER)
    made = api.create_order(
        actor=staff_user, institution_id=clinic.uuid, draft=draft(patient_name="山田^太郎", accession_number="ACC-9")
    )
    assert (made.patient_name, made.accession_number, made.institution.id) == ("山田^太郎", "ACC-9", clinic.uuid)
    offered(api, Capability.ORDER_PROPERTIES)
    detail = api.order_properties(actor=staff_user, order_id=made.id)
    assert detail.summary.id == made.id
    assert detail.draft.birth_date == draft().birth_date
    assert detail.draft.study_description == "Chest CT"
    assert detail.can_manage is True


def test_a_refused_order_names_the_fields_of_the_draft(
    api: PostDicomApi, staff_user: User, clinic: Institution
) -> None:
    offered(api, Capability.CREATE_ORDER)
    with pytest.raises(InvalidInput) as refused:
        api.create_order(actor=staff_user, institution_id=clinic.uuid, draft=draft(patient_id=""))
    assert set(refused.value.field_errors) == {"patient_id"}
    with pytest.raises(InvalidInput) as refused:
        api.create_order(actor=staff_user, institution_id=clinic.uuid, draft=draft(modality="??"))
    assert set(refused.value.field_errors) == {"modality"}


def test_each_required_order_field_left_empty_is_refused_on_it(
    api: PostDicomApi, staff_user: User, clinic: Institution
) -> None:
    """``required_order_fields``: what the order form marks. Each of them left empty is refused
    on that field, and the fields outside it may be left empty."""
    offered(api, Capability.CREATE_ORDER)
    required = api.required_order_fields
    assert required >= ORDER_REQUIRED_FIELDS
    assert ("birth_date" in required) is isinstance(api, CloudBackend)  # PostDICOM's CreatePatientOrder
    empty = {"patient_name": "", "patient_id": "", "modality": "", "birth_date": None}
    for field in sorted(required - {"order_date"}):  # a draft always has an order date
        with pytest.raises(InvalidInput) as refused:
            api.create_order(actor=staff_user, institution_id=clinic.uuid, draft=draft(**{field: empty[field]}))
        assert field in refused.value.field_errors, field
    optional = {name: value for name, value in empty.items() if name not in required}
    made = api.create_order(actor=staff_user, institution_id=clinic.uuid, draft=draft(**optional))
    assert made.patient_id == "P-0001"


def test_an_accession_number_is_unique_where_the_backend_says_so(
    api: PostDicomApi, staff_user: User, clinic: Institution
) -> None:
    """``accession_numbers_unique``: the order form says "unique in the institution" only
    where a second order with the same accession number is refused on that field."""
    offered(api, Capability.CREATE_ORDER)
    assert api.accession_numbers_unique is not isinstance(api, CloudBackend)
    if not api.accession_numbers_unique:
        return
    api.create_order(actor=staff_user, institution_id=clinic.uuid, draft=draft(accession_number="ACC-9"))
    with pytest.raises(InvalidInput) as refused:
        api.create_order(actor=staff_user, institution_id=clinic.uuid, draft=draft(accession_number="acc-9"))
    assert "accession_number" in refused.value.field_errors


def test_a_search_shows_each_user_what_they_may_see(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.SEARCH_ORDERS)
    mine = create(staff_user, clinic, patient_id="P-77")
    create(staff_user, clinic, patient_id="P-78")
    found = api.search_orders(actor=staff_user, query=OrderQuery(patient_id="P-77"))
    assert [o.id for o in found.items] == [mine.id]
    assert found.total == 1
    assert api.search_orders(actor=outsider, query=OrderQuery()).items == ()
    with pytest.raises(NotFound):
        api.order_properties(actor=outsider, order_id=mine.id)


def test_an_assigned_order_becomes_visible_to_a_limited_user(
    api: PostDicomApi, staff_user: User, clinic: Institution
) -> None:
    offered(api, Capability.ASSIGN_ORDER)
    order = create(staff_user, clinic)
    lena = limited("lena", clinic)
    assert api.search_orders(actor=lena, query=OrderQuery()).items == ()
    api.assign_order(actor=staff_user, order_id=order.id, user_id=uid(lena))
    assert [o.id for o in api.search_orders(actor=lena, query=OrderQuery()).items] == [order.id]


def test_a_deleted_order_is_gone_and_an_outsider_cannot_delete(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.DELETE_ORDER)
    order = create(staff_user, clinic)
    with pytest.raises(NotFound):
        api.delete_order(actor=outsider, order_id=order.id)
    api.delete_order(actor=staff_user, order_id=order.id)
    assert get_api().search_orders(actor=staff_user, query=OrderQuery()).items == ()
    with pytest.raises(NotFound):
        api.order_properties(actor=staff_user, order_id=order.id)


def test_a_search_names_the_filter_it_refuses(api: PostDicomApi, staff_user: User) -> None:
    offered(api, Capability.SEARCH_ORDERS)
    with pytest.raises(InvalidInput) as refused:
        api.search_orders(actor=staff_user, query=OrderQuery(patient_name="Li"))
    assert set(refused.value.field_errors) == {"patient_name"}
    reversed_dates = OrderQuery(date_from=dt.date(2026, 3, 2), date_to=dt.date(2026, 3, 1))
    with pytest.raises(InvalidInput) as refused:
        api.search_orders(actor=staff_user, query=reversed_dates)
    assert set(refused.value.field_errors) == {"date_to"}


def _narrowing(member: OrderFilter, clinic: Institution, folder: uuid.UUID) -> object:
    """A value of the filter ``member`` that narrows a search (not its default)."""
    values: dict[OrderFilter, object] = {
        OrderFilter.PATIENT_NAME: "QUISPE",
        OrderFilter.PATIENT_ID: "P-9",
        OrderFilter.EXACT_PATIENT_ID: True,
        OrderFilter.OTHER_PATIENT_ID: "O-9",
        OrderFilter.ACCESSION_NUMBER: "AN-9",
        OrderFilter.MODALITIES: ("CT",),
        OrderFilter.INSTITUTION_IDS: (clinic.uuid,),
        OrderFilter.DATE_FROM: dt.date(2026, 3, 1),
        OrderFilter.DATE_TO: dt.date(2026, 3, 1),
        OrderFilter.BIRTH_DATE_FROM: dt.date(1970, 1, 1),
        OrderFilter.BIRTH_DATE_TO: dt.date(1970, 1, 1),
        OrderFilter.STATUSES: (OrderStatus.CLOSED,),
        OrderFilter.FLAG_ID: uuid.uuid4(),
        OrderFilter.FLAGGED: True,
        OrderFilter.ASSIGNED_TO_ME: True,
        OrderFilter.FOLDER_ID: folder,
        OrderFilter.INCLUDE_SUB_FOLDERS: True,
        OrderFilter.ORDER_IDS: (uuid.uuid4(),),
        OrderFilter.SORT: "patient_name",
    }
    return values[member]


def test_a_search_takes_each_filter_the_backend_applies_and_refuses_the_others_on_their_field(
    api: PostDicomApi, staff_user: User, clinic: Institution
) -> None:
    """``order_filters`` is the truth: a filter in it is taken, any other is ``InvalidInput``
    on that field (never a list that looks filtered and is not)."""
    offered(api, Capability.SEARCH_ORDERS)
    folder = get_api().create_folder(actor=staff_user, name="Filtros").id
    refused: dict[str, list[str]] = {}
    for member in OrderFilter:
        query = OrderQuery(**{member.value: _narrowing(member, clinic, folder)})  # type: ignore[arg-type]
        if member in api.order_filters:
            assert api.search_orders(actor=staff_user, query=query).items == (), member
            continue
        with pytest.raises(InvalidInput) as refusal:
            api.search_orders(actor=staff_user, query=query)
        refused.update(refusal.value.field_errors)
    assert set(refused) == {member.value for member in OrderFilter} - api.order_filters
    assert all(messages for messages in refused.values())


def test_a_limited_user_may_not_delete_what_they_see(
    api: PostDicomApi, staff_user: User, limited_user: User, clinic: Institution
) -> None:
    offered(api, Capability.DELETE_ORDER)
    order = create(staff_user, clinic)
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))
    with pytest.raises(Forbidden):
        api.delete_order(actor=limited_user, order_id=order.id)
    assert [o.id for o in get_api().search_orders(actor=staff_user, query=OrderQuery()).items] == [order.id]
