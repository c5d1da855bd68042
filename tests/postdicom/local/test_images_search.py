"""QIDO-RS study search over the index rows: order of the results, statements per page, and
(on PostgreSQL) the indexes of migration 0011 serving each matching key.

Planner choices on a tiny table say nothing about a million rows, so the plan tests switch
sequential scans (and, for the order, sorting) off: if the search's SQL can use the index at
all, the plan names it. bench/qido measures the real thing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postdicom import types as t
from postdicom.local.images.search import search_studies, study_rows
from postdicom.local.models import InstanceRecord, Institution, PatientOrder, SeriesRecord, StudyRecord
from tests.missing import missing
from tests.postdicom.local.orders_setup import create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _studies(order: PatientOrder, rows: list[dict[str, Any]], *, modality: str = "CT") -> list[StudyRecord]:
    """Study rows under ``order``, each with one series and one stored instance."""
    studies = StudyRecord.objects.bulk_create(
        StudyRecord(order=order, study_uid=f"1.2.3.{order.pk}.{n}", **row) for n, row in enumerate(rows)
    )
    series = SeriesRecord.objects.bulk_create(
        SeriesRecord(study=study, series_uid=f"{study.study_uid}.1", modality=modality, number=1) for study in studies
    )
    InstanceRecord.objects.bulk_create(
        InstanceRecord(series=s, sop_instance_uid=f"{s.series_uid}.1", file_name="x", stored=True) for s in series
    )
    return studies


def _order(actor: User, clinic: Institution) -> PatientOrder:
    return PatientOrder.objects.get(uuid=create(actor, clinic).id)


def test_newest_first_missing_dates_last_then_the_latest_stored(admin_user: User, clinic: Institution) -> None:
    order = _order(admin_user, clinic)
    day, other = dt.date(2026, 3, 1), dt.date(2025, 1, 1)
    made = _studies(
        order,
        [
            {"study_date": other, "study_time": dt.time(9)},
            {"study_date": None},
            {"study_date": day, "study_time": None},
            {"study_date": day, "study_time": dt.time(8)},
            {"study_date": day, "study_time": dt.time(17)},
            {"study_date": day, "study_time": dt.time(17)},
        ],
    )
    found = search_studies(admin_user, t.DicomQuery())
    expected = [made[5], made[4], made[3], made[2], made[0], made[1]]
    assert [s.study_uid for s in found] == [s.study_uid for s in expected]


def test_a_page_costs_the_same_statements_whatever_its_size(staff_user: User, clinic: Institution) -> None:
    order = _order(staff_user, clinic)
    _studies(order, [{"study_date": dt.date(2026, 1, 1) + dt.timedelta(days=n)} for n in range(40)])
    counts = []
    for limit in (1, 40):
        with CaptureQueriesContext(connection) as queries:
            assert len(search_studies(staff_user, t.DicomQuery(limit=limit))) == limit
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- PostgreSQL: the indexes of migration 0011 ----------------------------------------------------


@pytest.fixture
def postgresql() -> None:
    if connection.vendor != "postgresql":
        missing("PostgreSQL-only indexes: run the tests on PostgreSQL (DATABASE_URL)")


def _plan(actor: User, query: t.DicomQuery, *, sort: bool = True, walk: bool = True) -> str:
    sql, params = study_rows(actor, query)[:25].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE postdicom_studyrecord")
        cursor.execute("SET LOCAL enable_seqscan = off")
        if not sort:
            cursor.execute("SET LOCAL enable_sort = off")
        if not walk:  # a GIN index is read by a bitmap scan: not walking newest_first either
            cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_indexes_exist(postgresql: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename IN ('postdicom_studyrecord', 'postdicom_seriesrecord')"
        )
        names = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute"
            " WHERE attrelid = 'postdicom_studyrecord'::regclass AND attname = 'patient_name'"
        )
        statistics = cursor.fetchone()[0]
    assert {
        "study_newest_first_idx",
        "study_name_trgm_idx",
        "study_patient_id_upper_idx",
        "study_accession_upper_idx",
        "series_study_modality_idx",
    } <= names
    assert statistics == 1000


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (t.DicomQuery(patient_name="SMITH*"), "study_name_trgm_idx"),
        (t.DicomQuery(patient_id="mrn00042"), "study_patient_id_upper_idx"),
        (t.DicomQuery(accession_number="ac00042"), "study_accession_upper_idx"),
        (t.DicomQuery(modalities=("MR",)), "series_study_modality_idx"),
    ],
)
def test_matching_keys_can_use_their_index(
    postgresql: None, admin_user: User, clinic: Institution, query: t.DicomQuery, index: str
) -> None:
    order = _order(admin_user, clinic)
    _studies(
        order,
        [
            {
                "patient_name": f"PERSON{n}^OTHER",
                "patient_id": f"MRN{n:05d}",
                "accession_number": f"AC{n:05d}",
                "study_date": dt.date(2020, 1, 1) + dt.timedelta(days=n % 2000),
            }
            for n in range(2000)
        ],
    )
    assert index in _plan(admin_user, query, walk=index != "study_name_trgm_idx")


@pytest.mark.parametrize("role", ["administrator", "staff"])
def test_newest_first_walks_its_index_instead_of_sorting(
    postgresql: None, admin_user: User, staff_user: User, clinic: Institution, role: str
) -> None:
    order = _order(admin_user, clinic)
    _studies(order, [{"study_date": dt.date(2020, 1, 1) + dt.timedelta(days=n)} for n in range(500)])
    plan = _plan(admin_user if role == "administrator" else staff_user, t.DicomQuery(), sort=False)
    assert "study_newest_first_idx" in plan
    assert "Sort" not in plan
