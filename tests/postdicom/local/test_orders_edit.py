"""Editing an order (update_order): checks, rights per role, and the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User

from postdicom import get_api
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import AuditRecord, Institution
from postdicom.types import OrderQuery
from tests.postdicom.local.orders_setup import create, draft, limited, row, uid

pytestmark = pytest.mark.django_db


def _props(actor: User, order_id: Any) -> Any:
    return get_api().order_properties(actor=actor, order_id=order_id)


def test_a_typo_is_fixed_and_the_history_says_old_and_new(staff_user: User, clinic: Institution) -> None:
    order = create(staff_user, clinic, accession_number="AN-1")
    new = draft(patient_name="PEÑA^Mariana^José", patient_id="P-0002", accession_number="AN-1", order_time=None)
    summary = get_api().update_order(actor=staff_user, order_id=order.id, draft=new)
    assert (summary.patient_name, summary.patient_id) == ("PEÑA^Mariana^José", "P-0002")
    assert row(order.id).patient_name_search != ""  # searching finds the new name
    found = get_api().search_orders(actor=staff_user, query=OrderQuery(patient_name="mariana"))
    assert [o.id for o in found.items] == [order.id]
    event = AuditRecord.objects.get(action="order.updated")
    assert event.actor == staff_user
    assert event.detail["changes"] == {
        "patient_name": ["PEÑA, María José", "PEÑA, Mariana José"],
        "patient_id": ["P-0001", "P-0002"],
        "order_time": ["09:30", None],
    }
    assert _props(staff_user, order.id).history[0].action == "order.updated"


def test_saving_the_same_values_records_nothing(staff_user: User, clinic: Institution) -> None:
    order = create(staff_user, clinic)
    get_api().update_order(actor=staff_user, order_id=order.id, draft=draft())
    assert not AuditRecord.objects.filter(action="order.updated").exists()


def test_every_problem_at_once_and_nothing_changes(staff_user: User, clinic: Institution) -> None:
    order = create(staff_user, clinic, accession_number="AN-1")
    create(staff_user, clinic, accession_number="AN-2")
    bad = draft(patient_name="", patient_id="", accession_number="an-2", birth_date=dt.date(2999, 1, 1))
    with pytest.raises(InvalidInput) as caught:
        get_api().update_order(actor=staff_user, order_id=order.id, draft=bad)
    assert set(caught.value.field_errors) == {"patient_name", "patient_id", "accession_number", "birth_date"}
    assert row(order.id).patient_id == "P-0001"
    # Its own accession number (in another case) is no clash.
    get_api().update_order(actor=staff_user, order_id=order.id, draft=draft(accession_number="an-1"))
    assert row(order.id).accession_number == "an-1"


def test_an_order_of_an_inactive_institution_can_still_be_corrected(staff_user: User, clinic: Institution) -> None:
    order = create(staff_user, clinic)
    clinic.is_active = False
    clinic.save()
    get_api().update_order(actor=staff_user, order_id=order.id, draft=draft(patient_id="P-9"))
    assert row(order.id).patient_id == "P-9"


@pytest.mark.parametrize("role", ["admin", "staff", "outsider", "assigned_limited", "creator_limited"])
def test_who_may_edit(
    role: str, admin_user: User, staff_user: User, outsider: User, limited_user: User, clinic: Institution
) -> None:
    creator = limited("cleo", clinic)
    order = create(creator, clinic)
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))
    user = {
        "admin": admin_user,
        "staff": staff_user,
        "outsider": outsider,
        "assigned_limited": limited_user,
        "creator_limited": creator,
    }[role]
    call = lambda: get_api().update_order(actor=user, order_id=order.id, draft=draft(patient_id="P-9"))  # noqa: E731
    if role in ("admin", "staff"):
        assert _props(user, order.id).can_manage is True
        call()
        assert row(order.id).patient_id == "P-9"
        return
    if role == "outsider":
        with pytest.raises(NotFound):
            call()
    else:
        assert _props(user, order.id).can_manage is False
        with pytest.raises(Forbidden):
            call()
    assert row(order.id).patient_id == "P-0001"


def test_a_deleted_order_cannot_be_edited(staff_user: User, clinic: Institution) -> None:
    order = create(staff_user, clinic)
    get_api().delete_order(actor=staff_user, order_id=order.id)
    with pytest.raises(NotFound):
        get_api().update_order(actor=staff_user, order_id=order.id, draft=draft(patient_id="P-9"))
