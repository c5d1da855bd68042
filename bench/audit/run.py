"""The audit log at millions of events: load them, then time the audit page and an order page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rayport_audit_bench .venv/bin/python bench/audit/run.py

Loads ``--events`` events (default 2,000,000) once, generated inside PostgreSQL (seeded):
200 users, three years of events, most of them reads (order opened 45 %, searches 20 %,
documents 8 %, folders 5 %), the rest changes of every family; 20,000 orders as targets,
one of them (the "busy order") opened 5,000 times. Then measures p50/p95 of the audit page
(``portal:audit_log``) over HTTP with a logged-in administrator and of its service call, for
typical filters, and of the order page's history and "who viewed" (``order_properties``).
See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

import datetime as dt  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.timing import Timing, percentile, sql_clock  # noqa: E402
from postdicom import get_api  # noqa: E402
from postdicom.local.access import profile_of  # noqa: E402
from postdicom.local.models import AuditRecord, Institution, PatientOrder  # noqa: E402
from postdicom.types import OrderDraft, Role  # noqa: E402

USERS = 200
ORDERS = 20_000
BUSY_VIEWS = 5_000


def _users() -> list[User]:
    users = get_user_model().objects
    existing = list(users.filter(username__startswith="bench").order_by("id"))
    if len(existing) >= USERS:
        return existing
    first = ["Ana", "María", "José", "Nuria", "Pablo", "Lucía", "Jorge", "Elena", "Tomás", "Irene"]
    last = ["Pérez", "García", "López", "Martín", "Sánchez", "Gómez", "Ruiz", "Díaz", "Moreno", "Muñoz"]
    made = []
    for n in range(len(existing), USERS):
        made.append(
            users.create_user(f"bench{n:03d}", first_name=first[n % 10], last_name=last[(n // 10) % 10], password=None)
        )
    return existing + made


def _admin() -> User:
    user = get_user_model().objects.filter(username="bench_admin").first()
    if user is None:
        user = get_user_model().objects.create_user("bench_admin", first_name="Ada", last_name="Admin", password=None)
        profile = profile_of(user)
        profile.role = Role.ADMINISTRATOR.value
        profile.save(update_fields=["role"])
    return user


def load(count: int) -> None:
    """Replace every audit event with ``count`` generated ones (TRUNCATE is a superuser's:
    the table's trigger refuses it to anyone else)."""
    started = time.perf_counter()
    users = _users()
    low, high = users[0].pk, users[-1].pk
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE postdicom_auditrecord RESTART IDENTITY")
        cursor.execute("SELECT setseed(0.2026)")
        cursor.execute(
            """
            INSERT INTO postdicom_auditrecord
                (at, actor_id, actor_name, action, target_type, target_id, target_label, ip, detail)
            SELECT
                now() - (g::float / %(count)s) * interval '3 years',
                a.uid, 'bench' || lpad((a.uid - %(low)s)::text, 3, '0'),
                k.action, k.target_type,
                CASE WHEN k.target_type = '' THEN '' ELSE md5((g %% %(orders)s)::text)::uuid::text END,
                CASE WHEN k.target_type = 'order'
                     THEN (ARRAY['GARCÍA','PÉREZ','MÜLLER','NGUYEN','SMITH','ROSSI'])[1 + g %% 6]
                          || ', ' || (ARRAY['ANA','JOSÉ','MARÍA','LUIS','EVA'])[1 + (g / 7) %% 5]
                          || ' · AN-' || (g %% %(orders)s)
                     WHEN k.target_type = '' THEN ''
                     ELSE k.target_type || ' ' || (g %% 500) END,
                ('10.0.' || (g %% 250) || '.' || (g %% 200))::inet,
                CASE WHEN k.action = 'order.searched'
                     THEN '{"filters": {"patient_name": "garcia"}, "found": 12, "shown": 12}'::jsonb
                     ELSE '{}'::jsonb END
            FROM generate_series(1, %(count)s) AS g
            CROSS JOIN LATERAL (SELECT %(low)s + floor(random() * %(users)s + g * 0)::int AS uid) AS a
            CROSS JOIN LATERAL (
                SELECT CASE
                    WHEN r < 45 THEN 'order.viewed' WHEN r < 65 THEN 'order.searched'
                    WHEN r < 70 THEN 'order.document_viewed' WHEN r < 73 THEN 'order.document_downloaded'
                    WHEN r < 78 THEN 'folder.viewed' WHEN r < 80 THEN 'upload.report_viewed'
                    WHEN r < 84 THEN 'auth.login' WHEN r < 85 THEN 'auth.login_failed'
                    WHEN r < 89 THEN 'order.images_added' WHEN r < 92 THEN 'order.assigned'
                    WHEN r < 95 THEN 'order.created' WHEN r < 97 THEN 'folder.order_added'
                    WHEN r < 98 THEN 'order.flag_set' WHEN r < 99 THEN 'user.updated'
                    ELSE 'group.member_added' END AS action
                FROM (SELECT floor(random() * 100 + g * 0)::int AS r) AS x
            ) AS chosen
            CROSS JOIN LATERAL (
                SELECT chosen.action,
                       CASE split_part(chosen.action, '.', 1)
                           WHEN 'order' THEN CASE WHEN chosen.action = 'order.searched' THEN '' ELSE 'order' END
                           WHEN 'auth' THEN 'user' ELSE split_part(chosen.action, '.', 1) END
            ) AS k(action, target_type)
            """,
            {"count": count, "low": low, "users": high - low + 1, "orders": ORDERS},
        )
        print(f"  {count:,} events inserted ({time.perf_counter() - started:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) postdicom_auditrecord")
    print(f"Loaded {count:,} events in {time.perf_counter() - started:.0f} s.", flush=True)


def busy_order(admin: User) -> PatientOrder:
    """An order opened ``BUSY_VIEWS`` times by 50 people, its events spread through the table."""
    order = PatientOrder.objects.filter(accession_number="AUDIT-BUSY").first()
    if order is not None:
        return order
    institution = Institution.objects.first() or Institution.objects.create(name="Bench clinic")
    profile = profile_of(admin)
    profile.institutions.add(institution)
    summary = get_api().create_order(
        actor=admin,
        institution_id=institution.uuid,
        draft=OrderDraft(
            patient_name="GARCÍA^ANA",
            patient_id="B-1",
            modality="CT",
            order_date=dt.date(2026, 1, 1),
            accession_number="AUDIT-BUSY",
        ),
    )
    users = _users()[:50]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO postdicom_auditrecord
                (at, actor_id, actor_name, action, target_type, target_id, target_label, ip, detail)
            SELECT now() - (g::float / %(n)s) * interval '3 years',
                   %(first)s + g %% 50, 'bench' || lpad((g %% 50)::text, 3, '0'),
                   'order.viewed', 'order', %(uuid)s, 'GARCÍA, ANA · AUDIT-BUSY', '10.1.1.1', '{}'::jsonb
            FROM generate_series(1, %(n)s) AS g
            """,
            {"n": BUSY_VIEWS, "first": users[0].pk, "uuid": str(summary.id)},
        )
    return PatientOrder.objects.get(uuid=summary.id)


Case = tuple[str, dict[str, str]]


def cases(rng: random.Random) -> list[Case]:
    day = (dt.date.today() - dt.timedelta(days=rng.randrange(1, 1000))).isoformat()
    return [
        ("newest first, no filter", {}),
        ("page 200", {"page": "200"}),
        ("family: every order event", {"action": "order"}),
        ("one action: failed sign-ins", {"action": "auth.login_failed"}),
        ("one rare action: group.member_added", {"action": "group.member_added"}),
        ("one day", {"date_from": day, "date_to": day}),
        ("text: a user name", {"q": f"bench{rng.randrange(200):03d}"}),
        ("text: a patient (target)", {"q": "müller"}),
        ("text: an IP prefix", {"q": f"10.0.{rng.randrange(250)}."}),
        ("text: nothing matches", {"q": "zzzqqq"}),
    ]


def measure(runs: int, admin: User, order: PatientOrder) -> None:
    from django.test import Client
    from django.test.utils import setup_test_environment

    from portal.forms.audit import AuditFilterForm

    setup_test_environment()
    client = Client()
    client.force_login(admin)
    url = reverse("portal:audit_log")
    api = get_api()
    total = AuditRecord.objects.count()
    print(f"\n{total:,} events; {runs} runs per case (after one warm-up); times in ms.\n")
    header = f"{'case':40} {'found':>10} {'SQL p50':>8} {'SQL p95':>8} {'q':>3} {'HTTP p50':>9} {'HTTP p95':>9}"
    print(header)
    print("-" * len(header))
    labels = [label for label, _ in cases(random.Random(0))]
    for index, label in enumerate(labels):
        service, page = Timing(), Timing()
        rng = random.Random(label)
        for run in range(runs + 1):
            params = cases(rng)[index][1]
            form = AuditFilterForm(params)
            form.is_valid()
            timing = service if run else Timing()
            with sql_clock(timing):
                result = api.audit_log(actor=admin, query=form.query())
            service.rows = result.total
            timing = page if run else Timing()
            with sql_clock(timing):
                response = client.get(url, params)
            assert response.status_code == 200, (label, response.status_code)
        print(
            f"{label:40} {service.rows:>10,} {percentile(service.sql, 50):>8.1f} {percentile(service.sql, 95):>8.1f}"
            f" {max(service.queries):>3} {percentile(page.wall, 50):>9.1f} {percentile(page.wall, 95):>9.1f}",
            flush=True,
        )
    _time_order_page(runs, admin, order, client)


def _time_order_page(runs: int, admin: User, order: PatientOrder, client: Any) -> None:
    """The order page of the busy order: its history, who viewed it (50 people, 5,000 views)."""
    detail, page = Timing(), Timing()
    url = reverse("orders:detail", args=[order.uuid])
    for run in range(runs + 1):
        with sql_clock(detail if run else Timing()):
            get_api().order_properties(actor=admin, order_id=order.uuid)
        with sql_clock(page if run else Timing()):
            assert client.get(url).status_code == 200
    label = f"order page ({BUSY_VIEWS:,} views)"
    print(
        f"{label:40} {'':>10} {percentile(detail.sql, 50):>8.1f} {percentile(detail.sql, 95):>8.1f}"
        f" {max(detail.queries):>3} {percentile(page.wall, 50):>9.1f} {percentile(page.wall, 95):>9.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2_000_000, help="how many events to load (default 2,000,000)")
    parser.add_argument("--reload", action="store_true", help="load again even if the events are there")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per case (default 20)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL: set DATABASE_URL=postgres://…/rayport_audit_bench")
    call_command("migrate", verbosity=0)
    admin = _admin()
    if args.reload or AuditRecord.objects.count() < args.events:
        print(f"Loading {args.events:,} events into {connection.settings_dict['NAME']} …", flush=True)
        load(args.events)
    order = busy_order(admin)
    measure(args.runs, admin, order)


if __name__ == "__main__":
    main()
