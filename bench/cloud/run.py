"""The cloud backend's overhead: the order list page through ``CloudBackend`` → a live Rayport,
against the same page directly on ``LocalBackend``, in one run.

    .venv/bin/python bench/cloud/run.py            # --help for the options

1. A fresh PostgreSQL database (``--database``) with ``--orders`` (5,000) orders of one
   institution, a staff user and an administrator whose API key the cloud backend uses.
2. **Local**: gunicorn on ``--port`` serving the portal on the local backend (also the server
   the cloud backend talks to).
3. **Cloud**: gunicorn on ``--port`` + 1 serving the portal with
   ``RAYPORT_BACKEND=postdicom.cloud.CloudBackend`` pointed at the first server's ``/dicomweb/``,
   acting for each signed-in user (``X-Rayport-Act-As``).
4. **Measured**: the staff user signs in to each and GETs the order list ``--runs`` (60) times
   per server, alternating, for three pages: the first page, a patient-name search, and page 5;
   p50 / p95 ms per server, and cloud ÷ local (target p95 ≤ 1.5×).

Both servers run on this machine, so the cloud side pays one extra loopback HTTP hop per
service call, not a WAN round trip: the ratio measures the backend's own cost (serialising,
parsing, the second Django stack), which is what the code controls.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.dicomweb.run import subprocess_run  # noqa: E402
from bench.ingest.run import fresh_database, running, wait_http  # noqa: E402
from bench.timing import percentile  # noqa: E402

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
PG = "postgres://postgres@127.0.0.1:5432"
PASSWORD = "bench-password-4711"  # a throwaway user in a throwaway database
SECRET = "bench-secret-key-" + "x" * 40

_LOAD = """
import datetime as dt, random, sys
from pathlib import Path
from django.contrib.auth import get_user_model
from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.local.models import Institution, PatientOrder
from postdicom.local.orders.names import normalize_name
clinic = Institution.objects.create(name="Bench")
users = get_user_model().objects
staff = users.create_user("bench", password=sys.argv[1])
profile = profile_of(staff); profile.role = "staff"; profile.save(); profile.institutions.set([clinic])
admin = users.create_user("bench-admin", password=sys.argv[1])
profile = profile_of(admin); profile.role = "administrator"; profile.save()
rng = random.Random(7)
surnames = ["GARCÍA", "LÓPEZ", "PEÑA", "SMITH", "MÜLLER", "ROSSI", "QUISPE", "NOWAK", "DUPONT", "YAMADA"]
given = ["María", "José", "Ana", "Luis", "Emma", "Noah", "Sofía", "Hugo"]
rows = []
for n in range(int(sys.argv[2])):
    name = f"{rng.choice(surnames)}^{rng.choice(given)}"
    rows.append(PatientOrder(
        institution=clinic, created_by=staff, patient_name=name, patient_name_search=normalize_name(name),
        patient_id=f"P-{n:07d}", modality=rng.choice(["CT", "MR", "CR", "US"]),
        order_date=dt.date(2026, 1, 1) - dt.timedelta(days=rng.randrange(1500)), study_description="Bench study",
    ))
PatientOrder.objects.bulk_create(rows, batch_size=2000)
_key, secret = get_api().create_api_key(actor=admin, name="cloud bench", user_id=profile_of(admin).uuid)
Path(sys.argv[3]).write_text(secret)
"""

PAGES = {"first page": "/orders/", "name search": "/orders/?patient_name=pena", "page 5": "/orders/?page=5"}


def sign_in(root: str) -> httpx.Client:
    client = httpx.Client(timeout=120)
    client.get(f"{root}/accounts/login/")
    response = client.post(
        f"{root}/accounts/login/",
        data={"username": "bench", "password": PASSWORD, "csrfmiddlewaretoken": client.cookies["csrftoken"]},
        headers={"Referer": f"{root}/accounts/login/"},
    )
    assert response.status_code in (200, 302), response.status_code
    assert "sessionid" in client.cookies, "the bench user could not sign in"
    return client


def gunicorn(port: int, workers: int, threads: int) -> list[str]:
    return [
        PYTHON, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{port}", "-k", "gthread",
        "-w", str(workers), "--threads", str(threads), "--timeout", "300",
        "--no-control-socket",  # gunicorn 27 shares one control socket per user otherwise
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="rayport_cloud_bench")
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--port", type=int, default=18700)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    args = parser.parse_args()

    data = HERE / ".data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{args.database}",
        "REDIS_URL": "redis://127.0.0.1:6379/6",
        "RAYPORT_DATA_DIR": str(data),
        "RAYPORT_SECRET_KEY": SECRET,
        "RAYPORT_DEBUG": "false",
        "RAYPORT_LOG_LEVEL": "warning",
    }
    print(f"loading {args.orders} orders into {args.database} …", flush=True)
    fresh_database(args.database)
    subprocess_run([PYTHON, "manage.py", "migrate", "-v0"], env)
    script, key_file = data / "load.py", data / "api-key"
    script.write_text(_LOAD)
    runner = "import sys, runpy, django; django.setup(); sys.argv[:] = sys.argv[1:]; runpy.run_path(sys.argv[0])"
    subprocess_run(
        [PYTHON, "-c", runner, str(script), PASSWORD, str(args.orders), str(key_file)],
        {**env, "DJANGO_SETTINGS_MODULE": "portal.settings", "PYTHONPATH": str(ROOT)},
    )
    local_root, cloud_root = f"http://127.0.0.1:{args.port}", f"http://127.0.0.1:{args.port + 1}"
    cloud_env = {
        **env,
        "RAYPORT_BACKEND": "postdicom.cloud.CloudBackend",
        "RAYPORT_CLOUD_URL": f"{local_root}/dicomweb/",
        "RAYPORT_CLOUD_API_KEY": key_file.read_text(),
    }
    command = gunicorn(args.port, args.web_workers, args.web_threads)
    with running(command, env, data / "local.log"):
        command = gunicorn(args.port + 1, args.web_workers, args.web_threads)
        with running(command, cloud_env, data / "cloud.log"):
            wait_http(f"{local_root}/accounts/login/")
            wait_http(f"{cloud_root}/accounts/login/")
            clients = {"local": sign_in(local_root), "cloud": sign_in(cloud_root)}
            roots = {"local": local_root, "cloud": cloud_root}
            print(f"\n{'page':<14}{'local p50':>11}{'p95':>8}{'cloud p50':>11}{'p95':>8}{'p95 ratio':>11}")
            for label, page in PAGES.items():
                times: dict[str, list[float]] = {"local": [], "cloud": []}
                for run in range(args.runs + 2):
                    for side in ("local", "cloud"):
                        started = time.perf_counter()
                        response = clients[side].get(roots[side] + page)
                        elapsed = (time.perf_counter() - started) * 1000
                        assert response.status_code == 200, (side, page, response.status_code)
                        assert response.text.count("P-00") >= 10, (side, page, "the page lists no orders")
                        if run >= 2:  # two warm-up rounds
                            times[side].append(elapsed)
                local, cloud = (percentile(times[s], 50) for s in ("local", "cloud"))
                local95, cloud95 = (percentile(times[s], 95) for s in ("local", "cloud"))
                print(
                    f"{label:<14}{local:>11.1f}{local95:>8.1f}{cloud:>11.1f}{cloud95:>8.1f}{cloud95 / local95:>10.2f}×"
                )


if __name__ == "__main__":
    main()
