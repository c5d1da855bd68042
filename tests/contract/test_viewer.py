"""What the image viewer opens for an order, and the patient's other orders, on every backend
(tests/contract/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.errors import NotFound
from postdicom.local.models import AuditRecord, Institution
from postdicom.types import Capability
from tests.contract.scenes import store_ct
from tests.missing import offered
from tests.postdicom.local.orders_setup import create


def test_a_patients_other_orders_are_the_priors_the_actor_sees(
    api: PostDicomApi,
    data_dir: Path,
    monkeypatch: Any,
    staff_user: User,
    outsider: User,
    clinic: Institution,
    other_clinic: Institution,
    tmp_path: Path,
) -> None:
    offered(api, Capability.PATIENT_ORDERS)
    dataset, scanned = store_ct(staff_user, clinic, tmp_path, monkeypatch)
    patient = str(dataset.PatientID)
    current = create(staff_user, clinic, patient_id=patient, accession_number="NOW")
    deleted = create(staff_user, clinic, patient_id=patient, accession_number="GONE")
    get_api().delete_order(actor=staff_user, order_id=deleted.id)
    create(staff_user, clinic, patient_id="someone-else")
    create(outsider, other_clinic, patient_id=patient)
    priors = api.patient_orders(actor=staff_user, order_id=current.id)
    assert [p.summary.id for p in priors] == [scanned]
    assert [s.study_uid for s in priors[0].studies] == [dataset.StudyInstanceUID]
    assert api.patient_orders(actor=staff_user, order_id=scanned)[0].summary.id == current.id
    with pytest.raises(NotFound):
        api.patient_orders(actor=outsider, order_id=current.id)
    with pytest.raises(NotFound):
        api.patient_orders(actor=staff_user, order_id=deleted.id)


def test_opening_the_viewer_shows_the_studies_and_is_recorded(
    api: PostDicomApi,
    data_dir: Path,
    monkeypatch: Any,
    staff_user: User,
    outsider: User,
    clinic: Institution,
    tmp_path: Path,
) -> None:
    offered(api, Capability.OPEN_VIEWER)
    dataset, scanned = store_ct(staff_user, clinic, tmp_path, monkeypatch)
    prior = create(staff_user, clinic, patient_id=str(dataset.PatientID))
    content = api.open_viewer(actor=staff_user, order_id=scanned)
    assert content.order.summary.id == scanned
    assert [s.study_uid for s in content.order.studies] == [dataset.StudyInstanceUID]
    assert content.order.studies[0].image_count == 1
    assert [p.summary.id for p in content.priors] == [prior.id]
    assert AuditRecord.objects.filter(action="order.viewer_opened", target_id=str(scanned)).count() == 1
    with pytest.raises(NotFound):
        api.open_viewer(actor=outsider, order_id=scanned)
    assert AuditRecord.objects.filter(action="order.viewer_opened", target_id=str(scanned)).count() == 1
