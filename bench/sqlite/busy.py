"""SQLite under concurrent requests (branch sqlite500): does any request fail, and how long do
the reads wait while others write?

    .venv/bin/python bench/sqlite/busy.py            # --help for the options

The portal on SQLite, as ``make run`` has it (no PostgreSQL, no Redis: the file cache and
broker), served by gunicorn (gthread, one process × ``--web-threads``). ``--writers`` threads
POST one new small DICOM instance a request (STOW-RS, stored in the request: a write
transaction each), while ``--readers`` threads search the studies (QIDO-RS ``/dicomweb/studies``)
and open the order list page, for ``--seconds``. Two settings, alternated ``--rounds`` times on
a fresh database each: ``before`` (``bench/sqlite/before_settings.py``: the rollback journal,
where a commit waits for the readers and the readers for it) and ``after`` (the portal's
settings: WAL). Reported: requests answered per second by kind, their p50/p95, and every
answer that was not a success, by status.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.ingest.run import running, wait_http  # noqa: E402
from bench.stow.run import BOUNDARY, PASSWORD, body_of, migrated_with_user  # noqa: E402
from bench.timing import percentile  # noqa: E402
from tests.uploads.files import make_image  # noqa: E402

PYTHON = sys.executable
SETTINGS = {"before": "bench.sqlite.before_settings", "after": "portal.settings"}


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, kind: str, call: Callable[[], httpx.Response]) -> None:
        """Time ``call``; a connection lost counts as a failure of its own ("reset")."""
        started = time.perf_counter()
        try:
            status = call().status_code
        except httpx.TransportError as error:
            with self.lock:
                self.failures[f"{kind} {type(error).__name__}"] += 1
            return
        self.add(kind, (time.perf_counter() - started) * 1000, status)

    def add(self, kind: str, ms: float, status: int) -> None:
        with self.lock:
            if 200 <= status < 300:
                self.times.setdefault(kind, []).append(ms)
            else:
                self.failures[f"{kind} {status}"] += 1


def environment(data: Path, variant: str) -> dict[str, str]:
    import os

    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("RAYPORT_") and k != "REDIS_URL"},
        "DATABASE_URL": f"sqlite:///{data / 'rayport.sqlite3'}",
        "REDIS_URL": "",
        "RAYPORT_DATA_DIR": str(data),
        "RAYPORT_LOG_LEVEL": "warning",
        "RAYPORT_STOW_IN_REQUEST": "true",
        "DJANGO_SETTINGS_MODULE": SETTINGS[variant],
        "PYTHONPATH": str(ROOT),
    }


def instances(folder: Path, count: int) -> list[bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for n in range(count):
        path = make_image(folder / "i.dcm", patient_id=f"P{n % 50}", rows=16, columns=16)
        made.append(path.read_bytes())
    return made


def one_round(args: argparse.Namespace, variant: str, data: Path, files: list[bytes]) -> Tally:
    env = environment(data, variant)
    migrated_with_user(env, data)
    port = args.port
    base = f"http://127.0.0.1:{port}"
    command = [PYTHON, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    command += ["--worker-class", "gthread", "--threads", str(args.web_threads), "--timeout", "120"]
    command += ["--keep-alive", "75"]  # the clients' kept connections outlive a slow answer on the other one
    tally = Tally()
    with running(command, env, data / "web.log"):
        wait_http(base + "/accounts/login/")
        stop = time.monotonic() + args.seconds
        shares = [files[n :: args.writers] for n in range(args.writers)]
        headers = {"Content-Type": f'multipart/related; type="application/dicom"; boundary={BOUNDARY}'}

        def write(n: int) -> None:
            with httpx.Client(base_url=base, timeout=120, auth=("bench", PASSWORD)) as client:
                for content in shares[n]:
                    if time.monotonic() > stop:
                        return
                    body = body_of([content])
                    tally.timed(
                        "STOW", functools.partial(client.post, "/dicomweb/studies", content=body, headers=headers)
                    )

        def read(n: int) -> None:
            with httpx.Client(base_url=base, timeout=120, auth=("bench", PASSWORD)) as client:
                page = httpx.Client(base_url=base, timeout=120)
                page.get("/accounts/login/")
                signed_in = page.post(
                    "/accounts/login/",
                    data={"username": "bench", "password": PASSWORD, "csrfmiddlewaretoken": page.cookies["csrftoken"]},
                )
                if signed_in.status_code != 302:
                    raise RuntimeError(f"sign-in: {signed_in.status_code}")
                while time.monotonic() < stop:
                    tally.timed("QIDO", lambda: client.get("/dicomweb/studies", params={"limit": 20}))
                    tally.timed("order list", lambda: page.get("/orders/"))
                page.close()

        threads = [threading.Thread(target=write, args=(n,)) for n in range(args.writers)]
        threads += [threading.Thread(target=read, args=(n,)) for n in range(args.readers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--web-threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port", type=int, default=15400)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/rayport-sqlite-bench"))
    args = parser.parse_args()
    files = instances(args.dir / "corpus", 4000)
    results: dict[str, list[Tally]] = {"before": [], "after": []}
    for number in range(args.rounds):
        for variant in ("before", "after"):
            tally = one_round(args, variant, args.dir / variant, files)
            results[variant].append(tally)
            print(f"round {number + 1} {variant}: failures {dict(tally.failures) or 'none'}", flush=True)
    print(f"\n{args.writers} writers, {args.readers} readers, {args.seconds:g} s, {args.rounds} rounds (medians)")
    print("| settings | kind | answered/s | p50 ms | p95 ms | failures |")
    print("|---|---|---|---|---|---|")
    for variant, tallies in results.items():
        for kind in ("STOW", "QIDO", "order list"):
            rates = [len(t.times.get(kind, [])) / args.seconds for t in tallies]
            p50 = [percentile(t.times.get(kind, [0]), 50) for t in tallies]
            p95 = [percentile(t.times.get(kind, [0]), 95) for t in tallies]
            failed = sum((t.failures for t in tallies), Counter())
            mine = {k: v for k, v in failed.items() if k.startswith(kind + " ")}
            print(
                f"| {variant} | {kind} | {statistics.median(rates):.1f} | {statistics.median(p50):.0f} | "
                f"{statistics.median(p95):.0f} | {sum(mine.values()) or 0} |"
            )


if __name__ == "__main__":
    main()
