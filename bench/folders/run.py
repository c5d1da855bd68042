"""The folder pages with 5,000 folders and 100,000 filed orders, for a staff user, an
administrator and a limited user.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rayport_folders_bench .venv/bin/python bench/folders/run.py

Loads (once, or with ``--reload``) ``--orders`` orders (default 200,000) with COPY: 95 % in the
staff user's institution, 5 % in another one, 1 % of them in the recycle bin, 20,000 assigned
to the limited user (half directly, half through a user group). Each of the three users gets a
three-level tree of ``--folders`` folders (default 5,000: 10 top-level, 90 below them, the rest
below those) and ``--memberships`` filed orders (default 100,000, spread over every level, most
in the leaves; the staff user and the administrator file any order, so some are hidden from
them; the limited user files their orders and a few unassigned since). Then times, over HTTP
with a logged-in test client (in-process: views, service, templates, session), the pages each
user opens: the folders home, a folder page at each level, the order filters inside a folder
(htmx), a branch of the side tree, a folder search, the order list (which offers every folder
for "Add to folders"), and the service calls behind them. Prints p50/p95 in milliseconds, SQL
time and statements per call. See bench/README.md.
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

# Set up exactly as the web server does (portal.wsgi: django.setup(), then gc.freeze()).
import portal.wsgi  # noqa: E402, F401

# isort: split

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.timing import Timing, percentile, sql_clock  # noqa: E402
from postdicom import get_api  # noqa: E402
from postdicom.local.access import profile_of  # noqa: E402
from postdicom.local.models import (  # noqa: E402
    Folder,
    FolderOrder,
    Institution,
    OrderGroupAssignment,
    OrderUserAssignment,
    PatientOrder,
    UserGroup,
)
from postdicom.local.orders.names import normalize_name  # noqa: E402
from postdicom.types import Role  # noqa: E402

SEED = 20260315
INSTITUTION = "Bench Folders Clinic"
OTHER_INSTITUTION = "Bench Folders Other Clinic"
GROUP = "Bench folders readers"
TODAY = dt.date(2026, 11, 1)
SURNAMES = ["García", "López", "Martín", "Pérez", "Sánchez", "Romero", "Navarro", "Torres", "Ruiz", "Díaz"]
GIVEN = ["María", "José", "Carmen", "Antonio", "Lucía", "Javier", "Íñigo", "Zoë", "Aiko", "Chidi"]
MODALITIES = ["CR", "CT", "MR", "US", "DX", "MG"]
#: The actors measured, each with a tree of their own: username and role.
ACTORS = {
    "staff": ("bench_folders", Role.STAFF),
    "administrator": ("bench_folders_admin", Role.ADMINISTRATOR),
    "limited": ("bench_folders_limited", Role.LIMITED),
}
#: Shares of the orders: in the other institution (hidden from the staff user) and in the
#: recycle bin (hidden from everyone); how many are assigned to the limited user (a referring
#: doctor with a very busy practice: half directly, half through a user group).
OTHER_SHARE, DELETED_SHARE, LIMITED_ORDERS = 0.05, 0.01, 20_000
# --- Loading ------------------------------------------------------------------------------------


def _user(username: str, role: Role, institution: Institution) -> User:
    user, _created = get_user_model().objects.get_or_create(username=username, defaults={"first_name": "Bench"})
    user.set_unusable_password()
    user.save()
    profile = profile_of(user)
    profile.role = role.value
    profile.save(update_fields=["role"])
    profile.institutions.set([institution] if role is Role.STAFF else [])
    return user


def _orders(
    count: int, institutions: tuple[Institution, Institution], user: User, deleted_at: dt.datetime
) -> Iterator[PatientOrder]:
    rng = random.Random(SEED)
    for n in range(count):
        name = f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)}^{rng.choice(GIVEN)}"
        modality = rng.choice(MODALITIES)
        yield PatientOrder(
            uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
            institution=institutions[rng.random() < OTHER_SHARE],
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
            deleted_at=deleted_at if rng.random() < DELETED_SHARE else None,
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


def _assign(user: User, order_pks: list[int]) -> None:
    """Half of ``order_pks`` assigned to the limited user, half to a group they belong to."""
    group, _created = UserGroup.objects.get_or_create(name=GROUP)
    group.members.set([user])
    half = len(order_pks) // 2
    OrderUserAssignment.objects.bulk_create(OrderUserAssignment(order_id=pk, user=user) for pk in order_pks[:half])
    OrderGroupAssignment.objects.bulk_create(
        OrderGroupAssignment(order_id=pk, user_group=group) for pk in order_pks[half:]
    )


def _file(tree: list[Folder], order_pks: list[int], memberships: int, rng: random.Random) -> set[tuple[int, int]]:
    """``memberships`` filings of ``order_pks``: 5 % in the upper two levels, the rest in the leaves."""
    upper, leaves = tree[:100], tree[100:]
    filed: set[tuple[int, int]] = set()
    while len(filed) < memberships:
        folder = rng.choice(upper) if rng.random() < 0.05 else rng.choice(leaves)
        filed.add((folder.pk, rng.choice(order_pks)))
    return filed


def load(orders: int, folders: int, memberships: int) -> dict[str, User]:
    started = time.perf_counter()
    institution, _ = Institution.objects.get_or_create(name=INSTITUTION)
    other, _ = Institution.objects.get_or_create(name=OTHER_INSTITUTION)
    users = {key: _user(username, role, institution) for key, (username, role) in ACTORS.items()}
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE postdicom_patientorder, postdicom_ordergroup RESTART IDENTITY CASCADE")
    batch: list[PatientOrder] = []
    for order in _orders(orders, (institution, other), users["staff"], timezone.now()):
        batch.append(order)
        if len(batch) == 5_000:
            PatientOrder.objects.bulk_create(batch)
            batch = []
    PatientOrder.objects.bulk_create(batch)
    order_pks = list(PatientOrder.objects.order_by("pk").values_list("pk", flat=True))
    rng = random.Random(SEED + 1)
    # The limited user's orders; what they file also holds orders unassigned since (5 %).
    assigned = rng.sample(order_pks, min(LIMITED_ORDERS, len(order_pks) // 2))
    _assign(users["limited"], assigned)
    unassigned = rng.sample(order_pks, len(assigned) // 20)
    sources = {"staff": order_pks, "administrator": order_pks, "limited": assigned + unassigned}
    now = timezone.now()
    filed = 0
    for key, user in users.items():
        Folder.objects.filter(owner=user).delete()
        tree = _folders(user, folders)
        filings = _file(tree, sources[key], memberships, rng)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                "COPY postdicom_folderorder (folder_id, order_id, owner_id, added_at, added_by_id) FROM STDIN"
            ) as copy,
        ):
            for folder_pk, order_pk in filings:
                copy.write_row((folder_pk, order_pk, user.pk, now, user.pk))
        filed += len(filings)
    with connection.cursor() as cursor:
        for table in (
            "postdicom_patientorder",
            "postdicom_folder",
            "postdicom_folderorder",
            "postdicom_orderuserassignment",
            "postdicom_ordergroupassignment",
        ):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(
        f"Loaded {orders:,} orders, {len(users)} users with {folders:,} folders each and {filed:,} filed"
        f" orders in all in {time.perf_counter() - started:.0f} s.",
        flush=True,
    )
    return users


def existing_users() -> dict[str, User] | None:
    found = {u.username: u for u in get_user_model().objects.filter(username__in=[n for n, _r in ACTORS.values()])}
    if len(found) != len(ACTORS):
        return None
    return {key: found[username] for key, (username, _role) in ACTORS.items()}


def loaded(users: dict[str, User] | None, folders: int, memberships: int) -> bool:
    return users is not None and all(
        Folder.objects.filter(owner=user).count() == folders
        and FolderOrder.objects.filter(folder__owner=user).count() == memberships
        for user in users.values()
    )


# --- Measuring ----------------------------------------------------------------------------------


def _cases(user: User) -> list[tuple[str, Callable[[], Any]]]:
    """What one actor opens: the HTTP pages, then the service calls behind them."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    api = get_api()
    tree = api.folder_tree(actor=user)
    top = max(tree.roots, key=lambda f: f.all_sub_order_count)
    middle = tree.children(top.id)[0]
    leaf = max(tree.children(middle.id), key=lambda f: f.order_count)
    htmx: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}
    print(
        f"\n{user.username}: {len(tree):,} folders, {sum(f.order_count for f in tree):,} filed orders it may see."
        f" Top-level folder: {top.all_sub_order_count:,} orders below it, {top.all_sub_folder_count} folders;"
        f" middle: {middle.all_sub_order_count:,}; leaf: {leaf.order_count}.",
        flush=True,
    )
    detail = lambda f: reverse("folders:detail", args=[f.id])  # noqa: E731
    return [
        ("folders home (whole tree)", lambda: client.get(reverse("folders:tree"))),
        ("folder page: top level", lambda: client.get(detail(top))),
        ("folder page: middle level", lambda: client.get(detail(middle))),
        ("folder page: leaf", lambda: client.get(detail(leaf))),
        ("folder page: name filter (htmx)", lambda: client.get(detail(top), {"name": "garcia"}, **htmx)),
        ("side tree branch (htmx)", lambda: client.get(reverse("folders:children", args=[middle.id]), **htmx)),
        ("folder search 'group 01'", lambda: client.get(reverse("folders:tree"), {"q": "group 01"})),
        ("order list (offers 5,000 folders)", lambda: client.get(reverse("orders:list"))),
        ("order list, folder filter", lambda: client.get(reverse("orders:list"), {"folder": str(leaf.id)})),
        ("svc folder_tree (with counts)", lambda: api.folder_tree(actor=user)),
        ("svc folder_tree (names only)", lambda: api.folder_tree(actor=user, with_counts=False)),
        ("svc get_folder (top level)", lambda: api.get_folder(actor=user, folder_id=top.id)),
        ("svc list_folders (top level)", lambda: api.list_folders(actor=user)),
    ]


def measure(users: dict[str, User], runs: int, actors: list[str]) -> None:
    # The test client's host name, but not the rest of the test environment: its template
    # instrumentation copies every template's context for the test client (25-30 ms on a
    # folder page), which a real request never pays.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    print(f"\n{runs} runs per case (after one warm-up); times in ms.")
    for key in actors:
        cases = _cases(users[key])
        header = f"{key + ': case':42} {'p50':>7} {'p95':>7} {'SQL p50':>8} {'SQL p95':>8} {'q':>3}"
        print(header)
        print("-" * len(header))
        for label, call in cases:
            timing = Timing()
            for run in range(runs + 1):
                with sql_clock(timing if run else Timing()):
                    result = call()
                status = getattr(result, "status_code", 200)
                assert status == 200, (label, status)
            print(
                f"{label:42} {percentile(timing.wall, 50):>7.1f} {percentile(timing.wall, 95):>7.1f}"
                f" {percentile(timing.sql, 50):>8.1f} {percentile(timing.sql, 95):>8.1f} {max(timing.queries):>3}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=200_000, help="orders to load (default 200,000)")
    parser.add_argument("--folders", type=int, default=5_000, help="folders of each user (default 5,000)")
    parser.add_argument("--memberships", type=int, default=100_000, help="filed orders per user (default 100,000)")
    parser.add_argument("--reload", action="store_true", help="load again even if the data is there")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per case (default 30)")
    parser.add_argument(
        "--actors", default=",".join(ACTORS), help=f"whose pages to time, comma-separated (default {','.join(ACTORS)})"
    )
    args = parser.parse_args()
    actors = [a.strip() for a in args.actors.split(",") if a.strip()]
    if unknown := set(actors) - set(ACTORS):
        sys.exit(f"Unknown actors: {', '.join(sorted(unknown))} (choose from {', '.join(ACTORS)})")
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL: set DATABASE_URL=postgres://…/rayport_folders_bench")
    if args.folders < 200:
        sys.exit("Use at least 200 folders (the tree has 100 folders in its upper two levels).")
    call_command("migrate", verbosity=0)
    users = existing_users()
    if args.reload or not loaded(users, args.folders, args.memberships):
        print(f"Loading into {connection.settings_dict['NAME']} …", flush=True)
        users = load(args.orders, args.folders, args.memberships)
    assert users is not None
    measure(users, args.runs, actors)


if __name__ == "__main__":
    main()
