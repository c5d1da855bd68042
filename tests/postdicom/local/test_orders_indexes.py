"""The PostgreSQL indexes made by migration 0002 exist and serve the searches' SQL.

Planner choices on a tiny table say nothing about a million rows, so sequential scans are
switched off: if the search's SQL can use the index at all, the plan names it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection

from postdicom.local.models import Institution, PatientOrder
from postdicom.local.orders.search import filtered
from postdicom.types import OrderQuery
from tests.missing import missing
from tests.postdicom.local.orders_setup import create


@pytest.fixture(autouse=True)
def _postgresql() -> None:
    if connection.vendor != "postgresql":
        missing("PostgreSQL-only indexes: run the tests on PostgreSQL (DATABASE_URL)")


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _plan(actor: User, query: OrderQuery) -> str:
    sql, params = filtered(actor, query).order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('order_name_trgm_idx')")  # as VACUUM would
        cursor.execute("ANALYZE postdicom_patientorder")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_the_indexes_exist() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'postdicom_patientorder'")
        names = {row[0] for row in cursor.fetchall()}
    assert {
        "order_name_trgm_idx",
        "order_patient_id_prefix_idx",
        "order_other_id_prefix_idx",
        "order_accession_prefix_idx",
        "order_live_institution_idx",
        "order_live_date_idx",
        "order_live_flagged_idx",
        "order_birth_date_idx",
    } <= names


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (OrderQuery(patient_name="peña"), "order_name_trgm_idx"),
        (OrderQuery(patient_id="p-00"), "order_patient_id_prefix_idx"),
        (OrderQuery(other_patient_id="x"), "order_other_id_prefix_idx"),
        (OrderQuery(accession_number="an-1"), "order_accession_prefix_idx"),
        (OrderQuery(flagged=True), "order_live_flagged_idx"),
    ],
)
def test_searches_can_use_their_index(admin_user: User, clinic: Institution, query: OrderQuery, index: str) -> None:
    order = create(admin_user, clinic, accession_number="AN-1", other_patient_id="X-1")
    PatientOrder.objects.filter(uuid=order.id).update(has_flags=True)
    # Enough other orders that scanning a whole index costs more than using the right one.
    PatientOrder.objects.bulk_create(
        PatientOrder(
            institution=clinic,
            patient_name=f"OTHER^Person {n}",
            patient_name_search=f"other person {n}",
            patient_id=f"Z{n:05d}",
            other_patient_id=f"Y{n:05d}",
            accession_number=f"Q{n:05d}",
            modality="CR",
            order_date=dt.date(2026, 1, 1) + dt.timedelta(days=n % 300),
        )
        for n in range(2000)
    )
    assert index in _plan(admin_user, query)
