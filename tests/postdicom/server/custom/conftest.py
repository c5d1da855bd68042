"""Calling the custom endpoints as PostDICOM's example clients do: GET, the parameters in one
``<Op>Parameters`` header as JSON whose values are all strings (C#: lists as JSON text inside
the string, booleans "True"/"False")."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from postdicom import get_api
from postdicom.types import OrderDraft


def csharp(values: dict[str, Any]) -> str:
    """``JsonConvert.SerializeObject(Dictionary<string,string>)`` of ``values``: lists become
    JSON text, booleans "True"/"False", everything else its text."""

    def text(value: Any) -> str:
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, list | tuple):
            return json.dumps([str(v) for v in value])
        return "" if value is None else str(value)

    return json.dumps({key: text(value) for key, value in values.items()})


def call(client: Client, path: str, header: str, values: dict[str, Any] | str, **extra: str) -> Any:
    """GET ``/dicomweb/<path>`` with ``header``: ``values`` C#-encoded (or a raw string)."""
    raw = values if isinstance(values, str) else csharp(values)
    return client.get(f"/dicomweb/{path}", headers={header: raw, **extra})


def new_order(actor, institution, **fields: Any):
    values: dict[str, Any] = {
        "patient_name": "GARCIA^MARIA",
        "patient_id": "P-1",
        "modality": "CT",
        "order_date": dt.date(2026, 11, 20),
    }
    values.update(fields)
    return get_api().create_order(actor=actor, institution_id=institution.uuid, draft=OrderDraft(**values))


@pytest.fixture
def order(staff_user, clinic):
    return new_order(staff_user, clinic, accession_number="AN-1", birth_date=dt.date(1980, 5, 1))
