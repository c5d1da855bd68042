"""patient_orders and open_viewer: what the image viewer opens, the priors beside it, and the
audit event that opening it writes."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
from django.contrib.auth.models import User

from postdicom import get_api
from postdicom.errors import NotFound
from postdicom.local.models import AuditRecord, Institution, StudyRecord
from postdicom.types import AuditAction, Capability
from tests.postdicom.local.orders_setup import create, limited, uid


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def family(staff_user: User, outsider: User, clinic: Institution, other_clinic: Institution) -> dict[str, Any]:
    """The current order of P-0001, two earlier ones (one with a study), one of another
    patient, one in the recycle bin, and the same ID in another institution."""
    current = create(staff_user, clinic, order_date=dt.date(2026, 3, 14))
    older = create(staff_user, clinic, patient_id="p-0001", modality="MR", order_date=dt.date(2025, 1, 2))
    oldest = create(staff_user, clinic, order_date=dt.date(2024, 6, 1))
    StudyRecord.objects.create(order_id=_pk(older.id), study_uid="1.2.3.4", description="MR brain")
    trashed = create(staff_user, clinic, order_date=dt.date(2025, 6, 1))
    get_api().delete_order(actor=staff_user, order_id=trashed.id)
    return {
        "current": current,
        "older": older,
        "oldest": oldest,
        "trashed": trashed,
        "stranger": create(staff_user, clinic, patient_id="P-2"),
        "elsewhere": create(outsider, other_clinic),
    }


def _pk(order_id: Any) -> int:
    from postdicom.local.models import PatientOrder

    return PatientOrder.objects.get(uuid=order_id).pk


def test_priors_are_the_patients_other_live_orders_newest_first(staff_user: User, family: dict[str, Any]) -> None:
    priors = get_api().patient_orders(actor=staff_user, order_id=family["current"].id)

    assert [p.summary.id for p in priors] == [family["older"].id, family["oldest"].id]
    assert [s.study_uid for s in priors[0].studies] == ["1.2.3.4"]
    assert priors[0].studies[0].description == "MR brain"
    assert priors[1].studies == ()


def test_a_limited_user_sees_only_the_priors_they_may_see(
    staff_user: User, clinic: Institution, family: dict[str, Any]
) -> None:
    reader = limited("lena", clinic)
    api = get_api()
    for key in ("current", "oldest"):
        api.assign_order(actor=staff_user, order_id=family[key].id, user_id=uid(reader))

    priors = api.patient_orders(actor=reader, order_id=family["current"].id)

    assert [p.summary.id for p in priors] == [family["oldest"].id]


def test_an_order_without_patient_id_has_no_priors(staff_user: User, clinic: Institution) -> None:
    """Images can arrive without a Patient ID: such orders are not one patient's."""
    from postdicom.local.models import PatientOrder

    first = create(staff_user, clinic)
    second = create(staff_user, clinic, accession_number="AN-2")
    PatientOrder.objects.filter(uuid__in=[first.id, second.id]).update(patient_id="")

    assert get_api().patient_orders(actor=staff_user, order_id=first.id) == ()


@pytest.mark.parametrize("who", ["outsider", "limited"])
def test_an_order_the_actor_may_not_see_is_not_found(
    who: str, outsider: User, clinic: Institution, family: dict[str, Any]
) -> None:
    actor = outsider if who == "outsider" else limited("lena", clinic)
    api = get_api()
    with pytest.raises(NotFound):
        api.patient_orders(actor=actor, order_id=family["current"].id)
    with pytest.raises(NotFound):
        api.open_viewer(actor=actor, order_id=family["current"].id)
    with pytest.raises(NotFound):
        api.open_viewer(actor=actor, order_id=uuid4())
    assert not AuditRecord.objects.filter(action=AuditAction.ORDER_VIEWER_OPENED).exists()


def test_opening_the_viewer_records_it_and_gives_studies_documents_and_priors(
    staff_user: User, family: dict[str, Any]
) -> None:
    content = get_api().open_viewer(actor=staff_user, order_id=family["older"].id)

    assert content.order.summary.id == family["older"].id
    assert [s.study_uid for s in content.order.studies] == ["1.2.3.4"]
    assert content.documents == ()
    assert [p.summary.id for p in content.priors] == [family["current"].id, family["oldest"].id]
    event = AuditRecord.objects.get(action=AuditAction.ORDER_VIEWER_OPENED)
    assert event.actor == staff_user
    assert event.target_type == "order"
    assert event.target_id == str(family["older"].id)
    assert AuditAction.ORDER_VIEWER_OPENED.is_read


def test_a_deleted_order_does_not_open(staff_user: User, family: dict[str, Any]) -> None:
    with pytest.raises(NotFound):
        get_api().open_viewer(actor=staff_user, order_id=family["trashed"].id)


def test_the_local_backend_offers_both() -> None:
    assert {Capability.PATIENT_ORDERS, Capability.OPEN_VIEWER} <= get_api().capabilities
