"""QIDO-RS study search at a million orders, per role, over HTTP against gunicorn.

    .venv/bin/python bench/qido/run.py                 # --help for the options

1. **Load** (unless ``--keep``): drops and recreates the PostgreSQL database ``--database``
   (``rayport_qido_bench``), migrates it, COPYs ``--orders`` (1,000,000) orders with
   ``bench/search``'s generator (five institutions, realistic names, five years of dates,
   flags, 300 + 700 orders assigned to the limited user), then, inside PostgreSQL, a study for
   every order that is not merely scheduled (88 %), one series per study (two for CT, MR and
   PT, the second of PT a CT) and two stored instances per series. The studies carry what an
   upload indexes: the DICOM patient name (upper case, as modalities write it), patient ID,
   birth date, sex, study date and time, accession number and description.
2. **Measure** with gunicorn (``--web-workers`` sync workers on 127.0.0.1:``--port``), each
   role signed in through the login form: ``--runs`` (25) searches per case after one
   warm-up, one after another, random values drawn per run (seeded). The cases are the
   typical QIDO-RS study searches of a viewer or worklist: none (``limit=25``), PatientName
   ``SURNAME*``, PatientID exact, a 30-day StudyDate range, ModalitiesInStudy, AccessionNumber
   and StudyInstanceUID, each as an administrator (all orders), staff of the largest
   institution (30 %) and a limited user (1,000 assigned orders).
   Each case also runs in this process through ``get_api().search_studies`` to count the SQL
   statements and their time (``--no-http`` for that alone).

Prints p50/p95 per case and role. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
PG = "postgres://postgres@127.0.0.1:5432"
PASSWORD = "bench-password-4711"  # throwaway users in a throwaway database
PYTHON = sys.executable


def _environment(args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{args.database}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
        "RAYPORT_DATA_DIR": str(HERE / ".data"),
        "RAYPORT_DEBUG": "false",
        "RAYPORT_LOG_LEVEL": "warning",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }


# --- loading ------------------------------------------------------------------------------------

# UIDs under the root 1.2.826.0.1.3680043.8.498.7711 (.1 studies, .2 series, .3 instances).
STUDIES_SQL = """
INSERT INTO postdicom_studyrecord
    (uuid, order_id, study_uid, patient_name, patient_id, birth_date, sex, study_date, study_time,
     description, accession_number, created_at, thumbnail_name)
SELECT gen_random_uuid(), id, '1.2.826.0.1.3680043.8.498.7711.1.' || id, UPPER(patient_name), patient_id,
       birth_date, sex, order_date, order_time, study_description, accession_number, created_at, ''
FROM postdicom_patientorder WHERE status <> 'scheduled'
"""
SERIES_SQL = """
INSERT INTO postdicom_seriesrecord (uuid, study_id, series_uid, modality, description, number)
SELECT gen_random_uuid(), s.id, '1.2.826.0.1.3680043.8.498.7711.2.' || s.id || '.' || n,
       CASE WHEN n = 2 AND o.modality = 'PT' THEN 'CT' ELSE o.modality END, o.study_description, n
FROM postdicom_studyrecord s JOIN postdicom_patientorder o ON o.id = s.order_id,
     generate_series(1, CASE WHEN o.modality IN ('CT', 'MR', 'PT') THEN 2 ELSE 1 END) n
"""
INSTANCES_SQL = """
INSERT INTO postdicom_instancerecord
    (uuid, series_id, sop_instance_uid, sop_class_uid, transfer_syntax_uid, number_of_frames,
     file_name, size, sha256, stored, created_at)
SELECT gen_random_uuid(), s.id, '1.2.826.0.1.3680043.8.498.7711.3.' || s.id || '.' || n, '1.2.840.10008.5.1.4.1.1.2',
       '1.2.840.10008.1.2.1', 1, 'bench/' || s.id || '/' || n || '.dcm', 525000, md5(s.id::text), true, now()
FROM postdicom_seriesrecord s, generate_series(1, 2) n
"""
IMAGE_TABLES = ("postdicom_studyrecord", "postdicom_seriesrecord", "postdicom_instancerecord")


def _droppable(cursor: Any, table: str) -> list[tuple[str, str]]:
    """(name, definition) of ``table``'s indexes that back no constraint."""
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        """,
        [table],
    )
    return list(cursor.fetchall())


def load(args: argparse.Namespace) -> None:
    from bench.ingest.run import fresh_database

    started = time.perf_counter()
    fresh_database(args.database)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=_environment(args), check=True)
    print(f"Migrated {args.database} ({time.perf_counter() - started:.0f} s)", flush=True)

    from django.db import connection

    from bench.search.run import load as load_orders
    from bench.search.run import scene

    s = scene()
    load_orders(args.orders, s)
    for user in (s.admin, s.staff, s.limited):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        dropped = []
        for table in IMAGE_TABLES:
            dropped += _droppable(cursor, table)
        for name, _definition in dropped:
            cursor.execute(f'DROP INDEX "{name}"')
        for label, sql in (("studies", STUDIES_SQL), ("series", SERIES_SQL), ("instances", INSTANCES_SQL)):
            step = time.perf_counter()
            cursor.execute(sql)
            print(f"  {cursor.rowcount:,} {label} ({time.perf_counter() - step:.0f} s)", flush=True)
        step = time.perf_counter()
        for _name, definition in dropped:
            cursor.execute(definition)
        print(f"  rebuilt {len(dropped)} indexes ({time.perf_counter() - step:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        for table in IMAGE_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"Loaded in {time.perf_counter() - started:.0f} s.", flush=True)


# --- the cases ----------------------------------------------------------------------------------

Case = tuple[str, Callable[[random.Random], dict[str, str]]]


def cases() -> list[Case]:
    """(label, random QIDO parameters): the searches a viewer or worklist sends."""
    from django.db import connection

    from bench.search.run import DAYS, SURNAMES, TODAY

    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM postdicom_studyrecord")
        low, high = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM postdicom_patientorder")
        patients = cursor.fetchone()[0] * 2 // 5

    def study(rng: random.Random) -> tuple[str, str]:
        # accession and UID of a random study (ids are dense: one COPY, one INSERT)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT accession_number, study_uid FROM postdicom_studyrecord WHERE id >= %s ORDER BY id LIMIT 1",
                [rng.randrange(low, high + 1)],
            )
            return cursor.fetchone()

    def days(rng: random.Random) -> str:
        end = TODAY - dt.timedelta(days=rng.randrange(DAYS))
        return f"{end - dt.timedelta(days=30):%Y%m%d}-{end:%Y%m%d}"

    return [
        ("no filter", lambda rng: {}),
        ("PatientName SURNAME*", lambda rng: {"PatientName": f"{rng.choice(SURNAMES).upper()}*"}),
        ("PatientID exact", lambda rng: {"PatientID": f"MRN{rng.randrange(patients):07d}"}),
        ("StudyDate 30 days", lambda rng: {"StudyDate": days(rng)}),
        ("ModalitiesInStudy", lambda rng: {"ModalitiesInStudy": rng.choice(["CT", "MR", "US", "PT", "MG"])}),
        ("AccessionNumber", lambda rng: {"AccessionNumber": study(rng)[0]}),
        ("StudyInstanceUID", lambda rng: {"StudyInstanceUID": study(rng)[1]}),
    ]


ROLES = (("administrator", "bench_admin"), ("staff", "bench_staff"), ("limited", "bench_limited"))


# --- measuring ----------------------------------------------------------------------------------


def _client(root: str, username: str) -> httpx.Client:
    client = httpx.Client(timeout=120)
    client.get(f"{root}/accounts/login/")
    response = client.post(
        f"{root}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": client.cookies["csrftoken"]},
        headers={"Referer": f"{root}/accounts/login/"},
    )
    assert response.status_code in (200, 302), (username, response.status_code)
    assert "sessionid" in client.cookies, f"{username} could not sign in"
    return client


def in_process(args: argparse.Namespace, the_cases: list[Case]) -> dict[tuple[str, str], tuple[float, float, int]]:
    """Per (case, role): SQL p50 and p95 (ms) and statements of the service call."""
    from django.contrib.auth import get_user_model

    from bench.timing import Timing, percentile, sql_clock
    from postdicom import get_api
    from postdicom.server import query as qido

    api = get_api()
    out = {}
    for role, username in ROLES:
        actor = get_user_model().objects.get(username=username)
        for label, make in the_cases:
            rng = random.Random(f"{label}/{role}")
            timing = Timing()
            for run in range(args.runs + 1):
                from django.http import QueryDict

                params = QueryDict(mutable=True)
                params.update({"limit": "25", **make(rng)})
                search = qido.parse(params)
                with sql_clock(timing if run else Timing()):
                    api.search_studies(actor=actor, query=search.query)
            out[(label, role)] = (percentile(timing.sql, 50), percentile(timing.sql, 95), max(timing.queries))
    return out


def over_http(args: argparse.Namespace, the_cases: list[Case]) -> dict[tuple[str, str], tuple[float, float, float]]:
    """Per (case, role): HTTP p50, p95 (ms) and the mean number of studies found."""
    from bench.ingest.run import running, wait_http
    from bench.timing import percentile

    root = f"http://127.0.0.1:{args.port}"
    data = HERE / ".data"
    data.mkdir(exist_ok=True)
    command = [
        PYTHON, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{args.port}",
        "-w", str(args.web_workers), "--timeout", "600", "--no-control-socket",
    ]  # fmt: skip
    out = {}
    with running(command, _environment(args), data / "web.log"):
        wait_http(f"{root}/accounts/login/")
        for role, username in ROLES:
            client = _client(root, username)
            for label, make in the_cases:
                rng = random.Random(f"{label}/{role}")
                times, found = [], []
                for run in range(args.runs + 1):
                    params = {"limit": "25", **make(rng)}
                    started = time.perf_counter()
                    response = client.get(f"{root}/dicomweb/studies", params=params)
                    elapsed = (time.perf_counter() - started) * 1000
                    assert response.status_code == 200, (label, role, response.status_code, response.text[:300])
                    if run:
                        times.append(elapsed)
                        found.append(len(response.json()))
                out[(label, role)] = (percentile(times, 50), percentile(times, 95), sum(found) / len(found))
                print(f"  {label:22} {role:14} p50 {out[(label, role)][0]:7.1f}  p95 {out[(label, role)][1]:7.1f}")
            client.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--database", default="rayport_qido_bench", help="dropped and recreated unless --keep")
    parser.add_argument("--keep", action="store_true", help="measure the database as loaded by an earlier run")
    parser.add_argument("--runs", type=int, default=25, help="timed searches per case and role")
    parser.add_argument("--port", type=int, default=14300)
    parser.add_argument("--web-workers", type=int, default=1)
    parser.add_argument("--redis-db", type=int, default=4)
    parser.add_argument("--no-http", action="store_true", help="only the in-process service calls")
    args = parser.parse_args()
    os.environ.update(_environment(args))
    import django

    django.setup()
    if not args.keep:
        load(args)
    the_cases = cases()
    sql = in_process(args, the_cases)
    http = {} if args.no_http else over_http(args, the_cases)

    print(f"\n{args.runs} searches per case and role after one warm-up, limit=25; times in ms.")
    header = (
        f"{'case':22} {'role':14} {'found':>6} {'HTTP p50':>9} {'HTTP p95':>9} {'SQL p50':>8} {'SQL p95':>8} {'q':>3}"
    )
    print(header)
    print("-" * len(header))
    worst = 0.0
    for label, _make in the_cases:
        for role, _username in ROLES:
            sql50, sql95, statements = sql[(label, role)]
            p50, p95, found = http.get((label, role), (float("nan"),) * 3)
            worst = max(worst, p95) if p95 == p95 else worst
            print(f"{label:22} {role:14} {found:6.1f} {p50:9.1f} {p95:9.1f} {sql50:8.1f} {sql95:8.1f} {statements:3d}")
    if http:
        print(f"\nWorst HTTP p95: {worst:.1f} ms (target ≤ 100 ms)")
    shutil.rmtree(HERE / ".data", ignore_errors=True)


if __name__ == "__main__":
    main()
