"""The folder pages with 5,000 folders and 100,000 filed orders for one user.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rayport_folders_bench .venv/bin/python bench/folders/run.py

Loads (once, or with ``--reload``) ``--orders`` orders (default 200,000) into one institution
with COPY, a staff user with a three-level tree of ``--folders`` folders (default 5,000: 10
top-level, 90 below them, the rest below those) and ``--memberships`` filed orders (default
100,000, spread over every level, most in the leaves). Then times, over HTTP with a logged-in
test client (in-process: views, service, templates, session), the pages a user opens: the
folders home, a folder page at each level, the order filters inside a folder (htmx), a branch
of the side tree, the order list (which offers every folder for "Add to folders"), and the
service calls behind them. Prints p50/p95 in milliseconds, SQL time and statements per call.
See bench/README.md.
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
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.timing import Timing, percentile, sql_clock  # noqa: E402
from postdicom import get_api  # noqa: E402
from postdicom.local.access import profile_of  # noqa: E402
from postdicom.local.models import Folder, FolderOrder, Institution, PatientOrder  # noqa: E402
from postdicom.local.orders.names import normalize_name  # noqa: E402
from postdicom.types import Role  # noqa: E402

SEED = 20260315
USERNAME = "bench_folders"
INSTITUTION = "Bench Folders Clinic"
TODAY = dt.date(2026, 11, 1)
SURNAMES = ["García", "López", "Martín", "Pérez", "Sánchez", "Romero", "Navarro", "Torres", "Ruiz", "Díaz"]
GIVEN = ["María", "José", "Carmen", "Antonio", "Lucía", "Javier", "Íñigo", "Zoë", "Aiko", "Chidi"]
MODALITIES = ["CR", "CT", "MR", "US", "DX", "MG"]
# --- Loading ------------------------------------------------------------------------------------


def _user(institution: Institution) -> User:
    user, _created = get_user_model().objects.get_or_create(username=USERNAME, defaults={"first_name": "Bench"})
    user.set_unusable_password()
    user.save()
    profile = profile_of(user)
    profile.role = Role.STAFF.value
    profile.save(update_fields=["role"])
    profile.institutions.set([institution])
    return user


def _orders(count: int, institution: Institution, user: User) -> Iterator[PatientOrder]:
    rng = random.Random(SEED)
    for n in range(count):
        name = f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)}^{rng.choice(GIVEN)}"
        modality = rng.choice(MODALITIES)
        yield PatientOrder(
            uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
            institution=institution,
            status="images_received",
            patient_name=name,
            patient_name_search=normalize_name(name),  # bulk_create skips save()
            patient_id=f"F{n:08d}",
            birth_date=TODAY - dt.timedelta(days=rng.randrange(365, 90 * 365)),
            sex=rng.choice("MFO"),
            modality=modality,
            accession_number=f"FB{n:08d}",
            study_description=f"{modality} study",
            order_date=TODAY - dt.timedelta(days=rng.randrange(1500)),
            order_time=dt.time(rng.randrange(7, 20), rng.choice((0, 15, 30, 45))),
            priority="ROUTINE",
            created_by=user,
        )


def _folders(user: User, count: int) -> list[Folder]:
    """A three-level tree: 10 top-level folders, 90 below them, the rest below those."""
    now = timezone.now()
    tops = Folder.objects.bulk_create(
        Folder(owner=user, name=f"Department {i:02d}", path="/", created_at=now) for i in range(10)
    )
    middles = Folder.objects.bulk_create(
        Folder(owner=user, parent=tops[i % 10], name=f"Year {2000 + i // 10}", path=f"/{tops[i % 10].pk}/")
        for i in range(90)
    )
    leaves = Folder.objects.bulk_create(
        Folder(
            owner=user,
            parent=middles[i % 90],
            name=f"Patient group {i // 90:03d}",
            description="Filed for the benchmark" if i % 7 == 0 else "",
            path=f"{middles[i % 90].path}{middles[i % 90].pk}/",
        )
        for i in range(count - 100)
    )
    return [*tops, *middles, *leaves]


def load(orders: int, folders: int, memberships: int) -> User:
    started = time.perf_counter()
    institution, _ = Institution.objects.get_or_create(name=INSTITUTION)
    user = _user(institution)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE postdicom_patientorder, postdicom_ordergroup RESTART IDENTITY CASCADE")
    batch: list[PatientOrder] = []
    for order in _orders(orders, institution, user):
        batch.append(order)
        if len(batch) == 5_000:
            PatientOrder.objects.bulk_create(batch)
            batch = []
    PatientOrder.objects.bulk_create(batch)
    Folder.objects.filter(owner=user).delete()
    tree = _folders(user, folders)
    order_pks = list(PatientOrder.objects.values_list("pk", flat=True))
    rng = random.Random(SEED + 1)
    # 5 % of the filings in the upper two levels, the rest in the leaves.
    upper, leaves = tree[:100], tree[100:]
    now = timezone.now()
    filed: set[tuple[int, int]] = set()
    while len(filed) < memberships:
        folder = rng.choice(upper) if rng.random() < 0.05 else rng.choice(leaves)
        filed.add((folder.pk, rng.choice(order_pks)))
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            "COPY postdicom_folderorder (folder_id, order_id, added_at, added_by_id) FROM STDIN"
        ) as copy:
            for folder_pk, order_pk in filed:
                copy.write_row((folder_pk, order_pk, now, user.pk))
        for table in ("postdicom_patientorder", "postdicom_folder", "postdicom_folderorder"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(
        f"Loaded {orders:,} orders, {len(tree):,} folders and {len(filed):,} filed orders"
        f" in {time.perf_counter() - started:.0f} s.",
        flush=True,
    )
    return user


def loaded(user: User | None, folders: int, memberships: int) -> bool:
    return (
        user is not None
        and Folder.objects.filter(owner=user).count() == folders
        and FolderOrder.objects.filter(folder__owner=user).count() == memberships
    )


# --- Measuring ----------------------------------------------------------------------------------


def measure(user: User, runs: int) -> None:
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    client = Client()
    client.force_login(user)
    api = get_api()
    tree = api.folder_tree(actor=user)
    top = max(tree.roots, key=lambda f: f.all_sub_order_count)
    middle = tree.children(top.id)[0]
    leaf = max(tree.children(middle.id), key=lambda f: f.order_count)
    htmx = {"HTTP_HX_REQUEST": "true"}
    print(
        f"\nTree: {len(tree):,} folders, {sum(f.order_count for f in tree):,} filed orders."
        f" Top-level folder: {top.all_sub_order_count:,} orders below it, {top.all_sub_folder_count} folders;"
        f" middle: {middle.all_sub_order_count:,}; leaf: {leaf.order_count}."
    )
    detail = lambda f: reverse("folders:detail", args=[f.id])  # noqa: E731
    http_cases: list[tuple[str, Callable[[], Any]]] = [
        ("folders home (whole tree)", lambda: client.get(reverse("folders:tree"))),
        ("folder page: top level", lambda: client.get(detail(top))),
        ("folder page: middle level", lambda: client.get(detail(middle))),
        ("folder page: leaf", lambda: client.get(detail(leaf))),
        ("folder page: name filter (htmx)", lambda: client.get(detail(top), {"name": "garcia"}, **htmx)),
        ("side tree branch (htmx)", lambda: client.get(reverse("folders:children", args=[middle.id]), **htmx)),
        ("folder search 'group 01'", lambda: client.get(reverse("folders:tree"), {"q": "group 01"})),
        ("order list (offers 5,000 folders)", lambda: client.get(reverse("orders:list"))),
        ("order list, folder filter", lambda: client.get(reverse("orders:list"), {"folder": str(leaf.id)})),
    ]
    service_cases: list[tuple[str, Callable[[], Any]]] = [
        ("svc folder_tree (with counts)", lambda: api.folder_tree(actor=user)),
        ("svc folder_tree (names only)", lambda: api.folder_tree(actor=user, with_counts=False)),
        ("svc get_folder (top level)", lambda: api.get_folder(actor=user, folder_id=top.id)),
        ("svc list_folders (top level)", lambda: api.list_folders(actor=user)),
    ]
    print(f"\n{runs} runs per case (after one warm-up); times in ms.\n")
    header = f"{'case':36} {'p50':>7} {'p95':>7} {'SQL p50':>8} {'SQL p95':>8} {'q':>3}"
    print(header)
    print("-" * len(header))
    for label, call in [*http_cases, *service_cases]:
        timing = Timing()
        for run in range(runs + 1):
            with sql_clock(timing if run else Timing()):
                result = call()
            status = getattr(result, "status_code", 200)
            assert status == 200, (label, status)
        print(
            f"{label:36} {percentile(timing.wall, 50):>7.1f} {percentile(timing.wall, 95):>7.1f}"
            f" {percentile(timing.sql, 50):>8.1f} {percentile(timing.sql, 95):>8.1f} {max(timing.queries):>3}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=200_000, help="orders to load (default 200,000)")
    parser.add_argument("--folders", type=int, default=5_000, help="folders of the user (default 5,000)")
    parser.add_argument("--memberships", type=int, default=100_000, help="filed orders (default 100,000)")
    parser.add_argument("--reload", action="store_true", help="load again even if the data is there")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per case (default 30)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL: set DATABASE_URL=postgres://…/rayport_folders_bench")
    if args.folders < 200:
        sys.exit("Use at least 200 folders (the tree has 100 folders in its upper two levels).")
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.filter(username=USERNAME).first()
    if args.reload or not loaded(user, args.folders, args.memberships):
        print(f"Loading into {connection.settings_dict['NAME']} …", flush=True)
        user = load(args.orders, args.folders, args.memberships)
    assert user is not None
    measure(user, args.runs)


if __name__ == "__main__":
    main()
