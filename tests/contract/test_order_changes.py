"""Changing an order after it was made (edit, assign, move, flag) and looking for duplicates,
on every backend (tests/contract/conftest.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import FlagGroupRecord, FlagRecord, Institution
from postdicom.types import Capability, OrderQuery, Role
from tests.conftest import make_user
from tests.missing import offered
from tests.postdicom.local.orders_setup import create, draft, group_with, limited, uid


def _visible_to(user: User) -> list[object]:
    return [o.id for o in get_api().search_orders(actor=user, query=OrderQuery()).items]


def test_an_edited_order_reads_back_with_its_new_details(
    api: PostDicomApi, staff_user: User, limited_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.UPDATE_ORDER)
    order = create(staff_user, clinic, accession_number="ACC-1")
    edited = api.update_order(
        actor=staff_user, order_id=order.id, draft=draft(patient_name="Ørsted^Hans", accession_number="ACC-1")
    )
    assert (edited.id, edited.patient_name, edited.accession_number) == (order.id, "Ørsted^Hans", "ACC-1")
    assert get_api().order_properties(actor=staff_user, order_id=order.id).summary.patient_name == "Ørsted^Hans"
    with pytest.raises(InvalidInput) as refused:
        api.update_order(actor=staff_user, order_id=order.id, draft=draft(modality="??"))
    assert set(refused.value.field_errors) == {"modality"}
    with pytest.raises(NotFound):
        api.update_order(actor=outsider, order_id=order.id, draft=draft())
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))
    with pytest.raises(Forbidden):
        api.update_order(actor=limited_user, order_id=order.id, draft=draft())


def test_possible_duplicates_are_the_same_patient_the_actor_sees(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution, other_clinic: Institution
) -> None:
    offered(api, Capability.POSSIBLE_DUPLICATES)
    same_id = create(staff_user, clinic, patient_id="P-5", patient_name="Иванов^Иван")
    create(staff_user, clinic, patient_id="P-6", patient_name="Other^Person", birth_date=None)
    create(outsider, other_clinic, patient_id="P-5", patient_name="Иванов^Иван")
    found = api.possible_duplicates(actor=staff_user, institution_id=clinic.uuid, draft=draft(patient_id="P-5"))
    assert [o.id for o in found] == [same_id.id]
    by_name = api.possible_duplicates(
        actor=staff_user,
        institution_id=clinic.uuid,
        draft=draft(patient_id="", patient_name="  иванов^ИВАН ", birth_date=draft().birth_date),
    )
    assert [o.id for o in by_name] == [same_id.id]
    # An incomplete draft is no error: empty fields are not compared.
    assert api.possible_duplicates(actor=staff_user, institution_id=clinic.uuid, draft=draft(patient_id="x")) == ()


def test_an_order_assigned_to_a_group_shows_to_its_members_until_unassigned(
    api: PostDicomApi, staff_user: User, clinic: Institution
) -> None:
    offered(api, Capability.ASSIGN_ORDER)
    order = create(staff_user, clinic)
    lena = limited("lena", clinic)
    readers = group_with(lena, name="Lectores")
    api.assign_order(actor=staff_user, order_id=order.id, group_id=readers.uuid)
    api.assign_order(actor=staff_user, order_id=order.id, group_id=readers.uuid)  # twice: nothing changes
    assert _visible_to(lena) == [order.id]
    with pytest.raises(InvalidInput):
        api.assign_order(actor=staff_user, order_id=order.id)
    with pytest.raises(Forbidden):
        api.assign_order(actor=lena, order_id=order.id, user_id=uid(lena))
    offered(api, Capability.UNASSIGN_ORDER)
    api.unassign_order(actor=staff_user, order_id=order.id, group_id=readers.uuid)
    api.unassign_order(actor=staff_user, order_id=order.id, group_id=readers.uuid)  # gone already: nothing
    assert _visible_to(lena) == []


def test_unassigning_a_user_hides_the_order_from_them(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.UNASSIGN_ORDER)
    order = create(staff_user, clinic)
    lena = limited("lena", clinic)
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=uid(lena))
    with pytest.raises(NotFound):
        api.unassign_order(actor=outsider, order_id=order.id, user_id=uid(lena))
    with pytest.raises(InvalidInput):
        api.unassign_order(actor=staff_user, order_id=order.id, user_id=uid(lena), group_id=uid(lena))
    with pytest.raises(Forbidden):
        api.unassign_order(actor=lena, order_id=order.id, user_id=uid(lena))
    api.unassign_order(actor=staff_user, order_id=order.id, user_id=uid(lena))
    assert _visible_to(lena) == []


def test_an_order_moves_to_another_of_the_actors_institutions(
    api: PostDicomApi, staff_user: User, limited_user: User, clinic: Institution, other_clinic: Institution
) -> None:
    offered(api, Capability.MOVE_ORDER_TO_INSTITUTION)
    both = make_user("bea", Role.STAFF, [clinic, other_clinic])
    order = create(both, clinic, accession_number="ACC-3")
    create(both, other_clinic, accession_number="ACC-4", patient_id="P-4")
    taken = create(both, clinic, accession_number="ACC-4", patient_id="P-9")
    api.move_order_to_institution(actor=both, order_id=order.id, institution_id=other_clinic.uuid)
    moved = get_api().order_properties(actor=both, order_id=order.id)
    assert moved.summary.institution.id == other_clinic.uuid
    assert order.id not in _visible_to(staff_user)
    with pytest.raises(InvalidInput) as refused:
        api.move_order_to_institution(actor=both, order_id=taken.id, institution_id=other_clinic.uuid)
    assert set(refused.value.field_errors) == {"institution_id"}
    with pytest.raises(InvalidInput):  # not one of sam's institutions
        api.move_order_to_institution(actor=staff_user, order_id=taken.id, institution_id=other_clinic.uuid)
    with pytest.raises(NotFound):
        api.move_order_to_institution(actor=staff_user, order_id=order.id, institution_id=clinic.uuid)


def test_a_flag_is_set_replaced_and_cleared(
    api: PostDicomApi, staff_user: User, limited_user: User, clinic: Institution
) -> None:
    offered(api, Capability.SET_ORDER_FLAG)
    urgency = FlagGroupRecord.objects.create(name="Urgencia")
    urgent = FlagRecord.objects.create(group=urgency, name="Urgente", color="#cc0000")
    routine = FlagRecord.objects.create(group=urgency, name="Rutina", color="#00aa00")
    elsewhere = FlagRecord.objects.create(
        group=FlagGroupRecord.objects.create(name="Estado"), name="Leído", color="#0000ff"
    )
    order = create(staff_user, clinic)

    def flags() -> list[str]:
        return [f.name for f in get_api().order_properties(actor=staff_user, order_id=order.id).summary.flags]

    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=urgency.uuid, flag_id=urgent.uuid)
    assert flags() == ["Urgente"]
    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=urgency.uuid, flag_id=routine.uuid)
    assert flags() == ["Rutina"]
    with pytest.raises(InvalidInput) as refused:
        api.set_order_flag(actor=staff_user, order_id=order.id, group_id=urgency.uuid, flag_id=elsewhere.uuid)
    assert set(refused.value.field_errors) == {"flag_id"}
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))
    with pytest.raises(Forbidden):
        api.set_order_flag(actor=limited_user, order_id=order.id, group_id=urgency.uuid, flag_id=None)
    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=urgency.uuid, flag_id=None)
    assert flags() == []
