"""Orders for the order page tests, created through the service as a clinic would."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from postdicom import get_api
from postdicom.types import OrderDraft


def new_order(actor, institution, **fields):
    values: dict[str, Any] = {
        "patient_name": "García^María^José",
        "patient_id": "P-1001",
        "modality": "CT",
        "order_date": dt.date(2026, 11, 20),
    }
    values.update(fields)
    return get_api().create_order(actor=actor, institution_id=institution.uuid, draft=OrderDraft(**values))


@pytest.fixture
def order(staff_user, clinic):
    return new_order(staff_user, clinic, accession_number="AN-1", study_description="Chest")


@pytest.fixture
def other_order(outsider, other_clinic):
    return new_order(outsider, other_clinic, patient_name="Nord^Nils", patient_id="N-9")
