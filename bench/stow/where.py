"""Where a STOW-RS request's time goes, in process: the bench's corpus POSTed through Django's
test client (the whole middleware stack and view, no gunicorn) on a fresh PostgreSQL
database, stored in the request, with the CPU time and statements of each request, and a
``cProfile`` of the measured ones.

    .venv/bin/python bench/stow/where.py --form series --top 40
    .venv/bin/python bench/stow/where.py --form one --requests 100

The first study of the corpus warms the process up (the password check, the imports, the
institution kept a minute) and is not measured.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.dicomweb.run import make_corpus  # noqa: E402
from bench.stow.run import BOUNDARY, PASSWORD, body_of, portal_env, prepare_portal, variant  # noqa: E402

DATABASE = "rayport_stow_profile"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--form", choices=("one", "series"), default="series")
    parser.add_argument("--requests", type=int, default=0, help="measured requests (default: the corpus)")
    parser.add_argument("--top", type=int, default=30, help="functions of the profile shown, by own time")
    parser.add_argument("--cumulative", type=int, default=30, help="functions shown by cumulative time")
    parser.add_argument("--threads", type=int, default=1, help="send from this many threads at once (no profile)")
    parser.add_argument("--no-profile", action="store_true", help="CPU and statements only, no cProfile")
    args = parser.parse_args()

    corpus = make_corpus(ROOT / "bench" / "dicomweb" / ".corpus", 20, 25)
    data = Path(tempfile.mkdtemp(prefix="stow-profile-"))
    # run.py's portal settings (stored in the request), on this process's REDIS_URL if any
    settings = argparse.Namespace(redis=os.environ.get("REDIS_URL", ""), through_worker=False)
    env = portal_env(settings, data, DATABASE)
    os.environ.update(env)
    prepare_portal(env, data, DATABASE)

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    per_request = 25 if args.form == "series" else 1
    contents = [variant(item.path.read_bytes(), 1) for item in corpus]
    bodies = [body_of(contents[i : i + per_request]) for i in range(0, len(contents), per_request)]
    warm, measured = bodies[: 25 // per_request], bodies[25 // per_request :]
    if args.requests:
        measured = measured[: args.requests]
    client = Client(HTTP_HOST="127.0.0.1")
    content_type = f'multipart/related; type="application/dicom"; boundary={BOUNDARY}'
    headers = {
        "Authorization": "Basic " + base64.b64encode(f"bench:{PASSWORD}".encode()).decode(),
    }
    for body in warm:
        response = client.post("/dicomweb/studies", body, content_type, headers=headers)
        assert response.status_code == 200, (response.status_code, response.content[:500])

    if args.threads > 1:
        _threaded(args.threads, measured, per_request, content_type, headers)
        return
    profile = None if args.no_profile else cProfile.Profile(time.process_time)
    cpu: list[float] = []
    wall: list[float] = []
    statements: list[int] = []
    for body in measured:
        started, started_cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            if profile is not None:
                profile.enable()
            response = client.post("/dicomweb/studies", body, content_type, headers=headers)
            if profile is not None:
                profile.disable()
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
        statements.append(len(queries))
        assert response.status_code == 200, response.content[:500]
    instances = len(measured) * per_request
    cpu.sort()
    wall.sort()
    print(
        f"{len(measured)} requests of {per_request} instance(s): CPU {sum(cpu) * 1000 / instances:.2f} ms an instance, "
        f"{cpu[len(cpu) // 2] * 1000:.1f} ms a request (median); wall {wall[len(wall) // 2] * 1000:.1f} ms a request; "
        f"statements a request {min(statements)}–{max(statements)}"
    )
    if profile is not None:
        stats = pstats.Stats(profile)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.cumulative)


def _threaded(threads: int, bodies: list[bytes], per_request: int, content_type: str, headers: dict[str, str]) -> None:
    """The requests sent by ``threads`` threads at once in this one process, as gunicorn's
    gthread workers take them: the process's CPU for all of them, and the wall time."""
    import threading

    from django.db import connections
    from django.test import Client

    shares = [bodies[n::threads] for n in range(threads)]
    failures: list[str] = []

    def send(share: list[bytes]) -> None:
        client = Client(HTTP_HOST="127.0.0.1")
        for body in share:
            response = client.post("/dicomweb/studies", body, content_type, headers=headers)
            if response.status_code != 200:
                failures.append(f"{response.status_code} {response.content[:200]!r}")
        connections.close_all()

    workers = [threading.Thread(target=send, args=(share,)) for share in shares]
    started, started_cpu = time.perf_counter(), time.process_time()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
    assert not failures, failures[:3]
    instances = len(bodies) * per_request
    print(
        f"{len(bodies)} requests of {per_request} instance(s) from {threads} threads: "
        f"CPU {cpu * 1000 / instances:.2f} ms an instance; wall {wall:.2f} s ({instances / wall:.1f} instances/s)"
    )


if __name__ == "__main__":
    main()
