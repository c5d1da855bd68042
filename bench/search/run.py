"""Order search at a million orders: load them, then time typical searches.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rayport_bench .venv/bin/python bench/search/run.py

Loads ``--orders`` orders (default 1,000,000) once with COPY (realistic names with accents,
Greek, Japanese and Arabic ones, five institutions, every common modality, order dates over
five years, some flags and assignments), then measures p50/p95 of typical filters through
the service layer (``get_api().search_orders``) and, when the order list page exists
(URL name ``orders:list``), over HTTP with a logged-in test client. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.timing import Timing, percentile, sql_clock  # noqa: E402
from postdicom import get_api  # noqa: E402
from postdicom.local.access import profile_of  # noqa: E402
from postdicom.local.models import (  # noqa: E402
    FlagGroupRecord,
    FlagRecord,
    Institution,
    PatientOrder,
    UserGroup,
)
from postdicom.local.orders.names import normalize_name  # noqa: E402
from postdicom.types import OrderQuery, Role  # noqa: E402


def _words(text: str) -> list[str]:
    return text.split()


SEED = 20260314
TODAY = dt.date(2026, 11, 1)
DAYS = 5 * 365
INSTITUTIONS = [("Bench Central", 30), ("Bench Norte", 25), ("Bench Sur", 20), ("Bench Este", 15), ("Bench Oeste", 10)]
MODALITIES = [
    ("CR", 20), ("DX", 15), ("CT", 15), ("MR", 12), ("US", 15), ("MG", 8),
    ("NM", 3), ("PT", 2), ("XA", 3), ("RF", 3), ("OT", 4),
]  # fmt: skip
FLAG_EVERY = 50  # one order in fifty carries a flag
STATUSES = [("images_received", 80), ("scheduled", 12), ("reported", 6), ("closed", 2)]

SURNAMES = _words("""García Martínez López Sánchez Pérez Gómez Martín Jiménez Hernández Ruiz Díaz Moreno Muñoz
Álvarez Romero Gutiérrez Alonso Navarro Torres Domínguez Ramos Vázquez Gil Ramírez Serrano Blanco Molina
Morales Suárez Ortega Delgado Castro Ortiz Rubio Marín Sanz Núñez Iglesias Medina Garrido Cortés Castillo
Santos Lozano Guerrero Cano Prieto Méndez Cruz Calvo Gallego Vidal León Márquez Herrera Peña Flores Cabrera
Campos Vega Fuentes Carrasco Diez Caballero Reyes Nieto Aguilar Pascual Santana Herrero Lorenzo Montero
Hidalgo Giménez Ibáñez Ferrer Durán Santiago Benítez Mora Vicente Vargas Arias Carmona Crespo Román Pastor
Soto Sáez Velasco Moya Soler Parra Esteban Bravo Gallardo Rojas Castaño Quiñones Begoña Zúñiga Echeverría
Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Müller Schmidt Schneider
Fischer Weber Meyer Wagner Becker Schäfer Koch Rossi Russo Ferrari Esposito Bianchi Romano Silva Santos
Oliveira Souza Costa Dupont Lefèvre Moreau Laurent Kowalski Nowak Novák Dvořák""")
GIVEN = _words("""María José Antonio Carmen Manuel Ana Francisco Laura David Isabel Juan Lucía Javier Marta Daniel
Cristina Carlos Paula Miguel Elena Rafael Sara Pedro Raquel Pablo Patricia Ángel Rosa Alejandro Pilar Sergio
Beatriz Fernando Andrea Jorge Silvia Luis Nuria Alberto Mónica Álvaro Sofía Adrián Irene Diego Noelia Iván
Inés Rubén Alicia Óscar Verónica Andrés Eva Jesús Julia Ramón Ainhoa Joaquín Begoña Íñigo Núria Jürgen
Zoë Renée Chloé Noël Håkon Søren John Mary James Emma Robert Olivia Michael Ava William Mia""")
# Names in other scripts, about one order in fifty.
OTHER_NAMES = [
    "Παπαδόπουλος^Γιώργος",
    "Ωμέγα^Αλέξης",
    "Νικολάου^Ελένη",
    "山田^太郎",
    "佐藤^花子",
    "鈴木^一郎",
    "高橋^美咲",
    "الحسن^محمد",
    "عبد الله^فاطمة",
    "Иванов^Иван",
]
DESCRIPTIONS = {
    "CR": "Chest PA",
    "DX": "Knee AP/LAT",
    "CT": "CT head without contrast",
    "MR": "MRI lumbar spine",
    "US": "Abdominal ultrasound",
    "MG": "Screening mammography",
    "NM": "Bone scan",
    "PT": "PET-CT whole body",
    "XA": "Coronary angiography",
    "RF": "Barium swallow",
    "OT": "Other",
}
COLUMNS = (
    "uuid",
    "institution_id",
    "status",
    "patient_name",
    "patient_name_search",
    "patient_id",
    "other_patient_id",
    "birth_date",
    "sex",
    "modality",
    "accession_number",
    "study_description",
    "order_date",
    "order_time",
    "complaints",
    "history",
    "symptom",
    "priority",
    "requesting_physician",
    "requesting_department",
    "referring_physician",
    "procedure_id",
    "procedure_description",
    "note1",
    "note2",
    "created_by_id",
    "created_at",
    "updated_at",
    "has_flags",
)


def _weighted(rng: random.Random, pairs: list[tuple[Any, int]], n: int) -> list[Any]:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights, k=n)


# --- Loading ------------------------------------------------------------------------------------


@dataclass
class Scene:
    institutions: list[Institution]
    admin: User
    staff: User
    limited: User
    flag_ids: list[int] = field(default_factory=list)


def _user(username: str, role: Role, institutions: list[Institution]) -> User:
    user, _created = get_user_model().objects.get_or_create(username=username, defaults={"first_name": username})
    user.set_unusable_password()
    user.save()
    profile = profile_of(user)
    profile.role = role.value
    profile.save(update_fields=["role"])
    profile.institutions.set(institutions)
    return user


def scene() -> Scene:
    institutions = [Institution.objects.get_or_create(name=name)[0] for name, _weight in INSTITUTIONS]
    urgency, _ = FlagGroupRecord.objects.get_or_create(name="Bench urgency")
    review, _ = FlagGroupRecord.objects.get_or_create(name="Bench review")
    flags = [
        FlagRecord.objects.get_or_create(group=urgency, name="Urgent", defaults={"color": "#cc0000"})[0],
        FlagRecord.objects.get_or_create(group=review, name="Second opinion", defaults={"color": "#0000cc"})[0],
    ]
    return Scene(
        institutions=institutions,
        admin=_user("bench_admin", Role.ADMINISTRATOR, []),
        staff=_user("bench_staff", Role.STAFF, institutions[:1]),
        limited=_user("bench_limited", Role.LIMITED, institutions[:1]),
        flag_ids=[f.pk for f in flags],
    )


def _rows(count: int, s: Scene) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(SEED)
    institution_ids = _weighted(
        rng, [(i.pk, w) for i, (_n, w) in zip(s.institutions, INSTITUTIONS, strict=True)], count
    )
    modalities = _weighted(rng, MODALITIES, count)
    statuses = _weighted(rng, STATUSES, count)
    patients = max(1, count * 2 // 5)  # patients come back: about 2.5 orders each
    now = timezone.now()
    sequence = dict.fromkeys((i.pk for i in s.institutions), 0)
    for n in range(count):
        patient = rng.randrange(patients)
        prng = random.Random(patient)  # a patient keeps their name, sex and birth date
        if prng.random() < 0.02:
            name = prng.choice(OTHER_NAMES)
        else:
            name = f"{prng.choice(SURNAMES)} {prng.choice(SURNAMES)}^{prng.choice(GIVEN)}"
            if prng.random() < 0.3:
                name += f"^{prng.choice(GIVEN)}"
        birth = TODAY - dt.timedelta(days=prng.randrange(365, 95 * 365))
        institution = institution_ids[n]
        sequence[institution] += 1
        order_date = TODAY - dt.timedelta(days=rng.randrange(DAYS))
        modality = modalities[n]
        yield (
            uuid.UUID(int=rng.getrandbits(128), version=4),
            institution,
            statuses[n],
            name,
            normalize_name(name),
            f"MRN{patient:07d}",
            f"DNI{patient * 7 % 99999999:08d}" if prng.random() < 0.5 else "",
            birth,
            prng.choice("MFFMO"),
            modality,
            f"AC{institution:02d}{sequence[institution]:08d}",
            DESCRIPTIONS[modality],
            order_date,
            dt.time(rng.randrange(7, 20), rng.choice((0, 15, 30, 45))),
            "",
            "",
            "",
            "ROUTINE",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            s.staff.pk,
            now,
            now,
            (n + 1) % FLAG_EVERY == 0,  # ids restart at 1, so this is "id % FLAG_EVERY = 0"
        )


def _droppable_indexes() -> list[tuple[str, str]]:
    """(name, definition) of the order table's indexes that back no constraint."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(i.oid)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = 'postdicom_patientorder'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            """
        )
        return list(cursor.fetchall())


def load(count: int, s: Scene) -> None:
    """Replace every order with ``count`` generated ones (COPY, indexes rebuilt after)."""
    started = time.perf_counter()
    indexes = _droppable_indexes()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE postdicom_patientorder, postdicom_ordergroup RESTART IDENTITY CASCADE")
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        with cursor.cursor.copy(f"COPY postdicom_patientorder ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for n, values in enumerate(_rows(count, s), 1):
                copy.write_row(values)
                if n % 200_000 == 0:
                    print(f"  {n:,} rows copied ({time.perf_counter() - started:.0f} s)", flush=True)
        print(f"  rebuilding {len(indexes)} indexes …", flush=True)
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        _extras(cursor, s)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) postdicom_patientorder")
        for table in ("postdicom_orderflag", "postdicom_orderuserassignment", "postdicom_ordergroupassignment"):
            cursor.execute(f"ANALYZE {table}")
    print(f"Loaded {count:,} orders in {time.perf_counter() - started:.0f} s.", flush=True)


def _extras(cursor: Any, s: Scene) -> None:
    """A few flags (2 % of orders) and assignments for the limited user: 300 orders directly
    and 700 through a group (in their institution, spread over the years)."""
    group, _ = UserGroup.objects.get_or_create(name="Bench readers")
    group.members.add(s.limited)
    inst = s.institutions[0].pk
    cursor.execute(
        """
        INSERT INTO postdicom_orderflag (order_id, group_id, flag_id, set_at)
        SELECT o.id, f.group_id, f.id, now()
        FROM postdicom_patientorder o JOIN postdicom_flagrecord f ON f.id = %s
        WHERE o.id %% %s = 0
        """,
        [s.flag_ids[0], FLAG_EVERY],
    )
    cursor.execute(
        """
        INSERT INTO postdicom_orderuserassignment (order_id, user_id, assigned_at)
        SELECT id, %s, now() FROM postdicom_patientorder
        WHERE institution_id = %s AND id %% 997 = 0 ORDER BY id LIMIT 300
        """,
        [s.limited.pk, inst],
    )
    cursor.execute(
        """
        INSERT INTO postdicom_ordergroupassignment (order_id, user_group_id, assigned_at)
        SELECT id, %s, now() FROM postdicom_patientorder
        WHERE institution_id = %s AND id %% 419 = 0 ORDER BY id LIMIT 700
        """,
        [group.pk, inst],
    )


# --- Measuring ----------------------------------------------------------------------------------


Case = tuple[str, User, Callable[[random.Random], dict[str, Any]]]


def cases(s: Scene) -> list[Case]:
    """Typical searches: (label, actor, random filters as OrderQuery keywords)."""
    patients = PatientOrder.objects.count() * 2 // 5

    def name_part(rng: random.Random) -> dict[str, Any]:
        surname = normalize_name(rng.choice(SURNAMES))
        start = rng.randrange(0, max(1, len(surname) - 4))
        return {"patient_name": surname[start : start + rng.choice((4, 5, 6))]}

    def full_name(rng: random.Random) -> dict[str, Any]:
        return {"patient_name": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"}

    def patient_id(rng: random.Random) -> dict[str, Any]:
        return {"patient_id": f"MRN{rng.randrange(patients):07d}"}

    def patient_id_prefix(rng: random.Random) -> dict[str, Any]:
        return {"patient_id": f"mrn{rng.randrange(patients):07d}"[:8]}

    def accession(rng: random.Random) -> dict[str, Any]:
        inst = rng.choice(s.institutions).pk
        return {"accession_number": f"AC{inst:02d}{rng.randrange(1, 100_000):08d}"}

    def modality_dates(rng: random.Random) -> dict[str, Any]:
        end = TODAY - dt.timedelta(days=rng.randrange(DAYS))
        return {
            "modalities": (rng.choice(["CT", "MR", "US"]),),
            "date_from": end - dt.timedelta(days=30),
            "date_to": end,
        }

    def today(rng: random.Random) -> dict[str, Any]:
        day = TODAY - dt.timedelta(days=rng.randrange(30))
        return {"date_from": day, "date_to": day}

    def nothing(rng: random.Random) -> dict[str, Any]:
        return {}

    def flagged(rng: random.Random) -> dict[str, Any]:
        return {"flagged": True}

    def mine(rng: random.Random) -> dict[str, Any]:
        return {"assigned_to_me": True}

    return [
        ("name part (staff)", s.staff, name_part),
        ("name part (admin, all 1M)", s.admin, name_part),
        ("surname + given name (staff)", s.staff, full_name),
        ("patient ID exact (staff)", s.staff, patient_id),
        ("patient ID prefix (admin)", s.admin, patient_id_prefix),
        ("accession exact (admin)", s.admin, accession),
        ("modality + 30-day range (staff)", s.staff, modality_dates),
        ("one day (staff, 'today' preset)", s.staff, today),
        ("flagged (staff)", s.staff, flagged),
        ("limited user, assigned view", s.limited, nothing),
        ("limited user, 'assigned to me' preset", s.limited, mine),
        ("limited user, name part", s.limited, name_part),
        ("no filter (staff home page)", s.staff, nothing),
        ("no filter (admin, all 1M)", s.admin, nothing),
    ]


# The order list page's query-string names for OrderQuery fields (orders/forms/search.py).
HTTP_PARAMS = {
    "patient_name": "name",
    "patient_id": "patient_id",
    "accession_number": "accession",
    "modalities": "modality",
    "date_from": "date_from",
    "date_to": "date_to",
}


# …and for the switches, the parameter and value the page uses.
HTTP_SWITCHES = {"flagged": ("flag", "any"), "assigned_to_me": ("mine", "on")}


def _http_params(filters: dict[str, Any]) -> dict[str, Any] | None:
    params: dict[str, Any] = {}
    for key, value in filters.items():
        if key in HTTP_SWITCHES and value is True:
            name, on = HTTP_SWITCHES[key]
            params[name] = on
            continue
        name = HTTP_PARAMS.get(key)
        if name is None:
            return None
        params[name] = list(value) if isinstance(value, tuple) else ("1" if value is True else str(value))
    return params


def measure(s: Scene, runs: int, http: bool) -> None:
    from django.test import Client
    from django.test.utils import setup_test_environment

    api = get_api()
    try:
        url = reverse("orders:list") if http else ""
    except NoReverseMatch:
        url = ""
        print("The order list page (orders:list) does not exist yet: HTTP timings skipped.")
    if url:
        setup_test_environment()  # the test client's host name, in-memory e-mail
    print(f"\n{runs} runs per case (after one warm-up); times in ms.\n")
    header = f"{'case':36} {'rows':>9} {'SQL p50':>8} {'SQL p95':>8} {'svc p95':>8} {'q':>3}"
    if url:
        header += f" {'HTTP p50':>9} {'HTTP p95':>9} {'HTTP SQL95':>10}"
    print(header)
    print("-" * len(header))
    for label, actor, make in cases(s):
        rng = random.Random(label)
        service, page = Timing(), Timing()
        client = None
        if url:
            client = Client()
            client.force_login(actor)
        for run in range(runs + 1):
            filters = make(rng)
            query = OrderQuery(**filters)
            timing = service if run else Timing()
            with sql_clock(timing):
                result = api.search_orders(actor=actor, query=query)
            service.rows = max(service.rows, result.total)
            params = _http_params(filters) if client is not None else None
            if client is not None and params is not None:
                timing = page if run else Timing()
                with sql_clock(timing):
                    response = client.get(url, params)
                assert response.status_code == 200, (label, response.status_code)
        line = (
            f"{label:36} {service.rows:>9,} {percentile(service.sql, 50):>8.1f} {percentile(service.sql, 95):>8.1f}"
            f" {percentile(service.wall, 95):>8.1f} {max(service.queries):>3}"
        )
        if page.wall:
            wall50, wall95, sql95 = percentile(page.wall, 50), percentile(page.wall, 95), percentile(page.sql, 95)
            line += f" {wall50:>9.1f} {wall95:>9.1f} {sql95:>10.1f}"
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000, help="how many orders to load (default 1,000,000)")
    parser.add_argument("--reload", action="store_true", help="load again even if the orders are there")
    parser.add_argument("--runs", type=int, default=40, help="timed runs per case (default 40)")
    parser.add_argument("--no-http", action="store_true", help="time the service layer only")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL: set DATABASE_URL=postgres://…/rayport_bench")
    call_command("migrate", verbosity=0)
    s = scene()
    if args.reload or PatientOrder.objects.count() != args.orders:
        print(f"Loading {args.orders:,} orders into {connection.settings_dict['NAME']} …", flush=True)
        load(args.orders, s)
    measure(s, args.runs, http=not args.no_http)


if __name__ == "__main__":
    main()
