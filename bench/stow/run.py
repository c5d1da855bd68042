"""STOW-RS ingest speed: the portal's ``POST /dicomweb/studies`` against Orthanc's DICOMweb
plugin on SQLite and on PostgreSQL, on the same files, the same client code and concurrency.

    .venv/bin/python bench/stow/run.py            # --help for the options

1. **Corpus**: ``bench/dicomweb``'s (made once under ``bench/dicomweb/.corpus``): 20 CT studies
   × 25 uncompressed 512×512 16-bit slices, 500 files, 263 MB. Every round sends it under UIDs
   of its own (the UID root's last digits changed in the bytes, same length), so each round
   stores new instances on every server, never duplicates.
2. **Portal**: a fresh PostgreSQL database (``rayport_stow_bench``), gunicorn (gthread,
   ``--web-workers`` × ``--web-threads``) and a Celery worker (``--worker-concurrency``) on
   Redis (``--redis``), as in production; the clients send HTTP Basic credentials (PostDICOM's
   way). A STOW answers once its instances are stored (in the request by default).
   ``--before TREE`` adds a second portal from another source tree (an export of ``main``)
   on ``--port`` + 1, with its own database, Redis database (``--before-redis``) and worker,
   so that before and after are measured in one run, under the same load.
3. **Orthanc** 1.10 + DICOMweb plugin from Debian, twice: its default SQLite index, and the
   ``orthanc-postgresql`` index plugin (a fresh database ``orthanc_stow_bench``); both store
   files on local disk, Basic authentication on, started with our own configuration on
   ``--port`` + 10/11 and + 20/21 (never the system service).
4. **Measured**: ``--clients`` (5) threads share the corpus and POST it, in two forms:
   ``one`` instance per request (what PostDICOM's example client does) and ``series`` (the
   25 slices of a series per request); ``--rounds`` (2) rounds alternating between the servers,
   medians reported. Instances/s and MB/s of DICOM sent, and the p50/p95 request time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.dicomweb.run import Instance, make_corpus  # noqa: E402
from bench.ingest.run import fresh_database, running, wait_http  # noqa: E402
from bench.timing import percentile  # noqa: E402

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
PG = "postgres://postgres@127.0.0.1:5432"
PASSWORD = "bench-password-4711"  # a throwaway user in a throwaway database
ROOT_UID = b"1.2.826.0.1.3680043.8.498.5711"
BOUNDARY = "RAYPORT-BENCH-BOUNDARY"

_USER = """
import sys
from django.contrib.auth import get_user_model
from postdicom.local.access import profile_of
from postdicom.local.models import Institution
clinic = Institution.objects.create(name="Bench")
user = get_user_model().objects.create_user("bench", password=sys.argv[1])
profile = profile_of(user); profile.role = "staff"; profile.save(); profile.institutions.set([clinic])
"""


@dataclass
class Server:
    name: str
    root: str
    base: str  # the DICOMweb base URL
    stow: str  # where instances are POSTed
    broker: str = ""  # a portal's Redis: its round is over once its queued work is done too


def portal_env(
    args: argparse.Namespace, data: Path, database: str, tree: Path = ROOT, redis: str = ""
) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{database}",
        "REDIS_URL": redis or args.redis,
        "RAYPORT_DATA_DIR": str(data),
        "RAYPORT_DEBUG": "false",
        "RAYPORT_LOG_LEVEL": "warning",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PYTHONPATH": str(tree),
        "RAYPORT_STOW_IN_REQUEST": "false" if args.through_worker else "true",
    }


def prepare_portal(env: dict[str, str], data: Path, database: str, tree: Path = ROOT) -> None:
    fresh_database(database)
    migrated_with_user(env, data, tree)


def migrated_with_user(env: dict[str, str], data: Path, tree: Path = ROOT) -> None:
    """An empty ``data`` folder, the database of ``env`` migrated, and the bench's staff user
    (``bench`` / ``PASSWORD``) in an institution of its own."""
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=tree, env=env, check=True)
    script = data / "user.py"
    script.write_text(_USER)
    runner = "import sys, runpy, django; django.setup(); sys.argv[:] = sys.argv[1:]; runpy.run_path(sys.argv[0])"
    subprocess.run([PYTHON, "-c", runner, str(script), PASSWORD], cwd=tree, env=env, check=True)


def orthanc_config(folder: Path, port: int, postgres: bool, suffix: str = "") -> Path:
    import json

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    plugins = ["/usr/share/orthanc/plugins/libOrthancDicomWeb.so"]
    config: dict[str, object] = {
        "Name": "bench",
        "HttpPort": port,
        "DicomPort": port + 1,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {"bench": PASSWORD},
        "StorageDirectory": str(folder / "storage"),
        "IndexDirectory": str(folder / "index"),
        "HttpThreadsCount": 50,
        "StorageCompression": False,
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": False},
    }
    if postgres:
        fresh_database(f"orthanc_stow_bench{suffix}")
        plugins.append("/usr/share/orthanc/plugins/libOrthancPostgreSQLIndex.so")
        config["PostgreSQL"] = {
            "EnableIndex": True,
            "EnableStorage": False,
            "Host": "127.0.0.1",
            "Port": 5432,
            "Database": f"orthanc_stow_bench{suffix}",
            "Username": "postgres",
            "Password": "",
            "Lock": False,
        }
    config["Plugins"] = plugins
    path = folder / "config.json"
    path.write_text(json.dumps(config))
    return path


def body_of(files: list[bytes]) -> bytes:
    parts = []
    for content in files:
        parts.append(f"--{BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n".encode())
        parts.append(content)
        parts.append(b"\r\n")
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def variant(content: bytes, number: int) -> bytes:
    """The file under a UID root of its own (same length: nothing else in the file moves)."""
    root = ROOT_UID[:-4] + str(5711 + number).encode()
    assert len(root) == len(ROOT_UID)
    return content.replace(ROOT_UID, root)


@dataclass
class Result:
    seconds: float
    instances: int
    megabytes: float
    request_ms: list[float]
    busy: float = 0.0  # the machine's CPU busy while it ran, 0..1 (all cores)
    settled: float = 0.0  # seconds from the first request until the machine was idle again


def send_all(server: Server, corpus: list[Instance], clients: int, per_request: int, number: int) -> Result:
    """``clients`` threads POST the corpus (renamed to ``number``), ``per_request`` files a time
    (a series' files stay together)."""
    contents = {item.path: variant(item.path.read_bytes(), number) for item in corpus}
    groups = [corpus[i : i + per_request] for i in range(0, len(corpus), per_request)]
    shares = [groups[i::clients] for i in range(clients)]
    times: list[float] = []
    errors: list[BaseException] = []
    headers = {"Content-Type": f'multipart/related; type="application/dicom"; boundary={BOUNDARY}'}

    def work(n: int) -> None:
        try:
            with httpx.Client(timeout=600, auth=("bench", PASSWORD)) as client:
                for group in shares[n]:
                    body = body_of([contents[item.path] for item in group])
                    started = time.perf_counter()
                    response = client.post(server.stow, content=body, headers=headers)
                    times.append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        raise RuntimeError(f"{server.name}: {response.status_code} {response.text[:300]}")
                    stored = response.json().get("00081199", {}).get("Value", [])
                    if len(stored) != len(group):
                        raise RuntimeError(f"{server.name}: {len(stored)} of {len(group)} stored")
        except BaseException as error:  # re-raised below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    cpu = _cpu_times()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    busy = _busy(cpu, _cpu_times())
    if errors:
        raise errors[0]
    settled = _settle(server.broker) - started
    size = sum(len(c) for c in contents.values()) / 1e6
    return Result(seconds, len(corpus), size, times, busy, settled)


def _settle(broker: str = "", idle_below: float = 0.15, step: float = 0.25, limit: float = 60.0) -> float:
    """Wait until ``broker`` (a portal's Redis) holds no task, waiting or taken (a thumbnail
    drawing waits two seconds before it starts), and the machine's CPU is idle again (under
    ``idle_below`` busy over ``step`` seconds: a server's work after its answers is done);
    return when it was. The next server's round starts then, so nobody's round pays for
    another's leftovers: the files a server wrote without syncing them are written out here
    (``os.sync``), not by the kernel's writeback during the next server's round."""
    deadline = time.perf_counter() + limit
    if broker:
        import redis

        queues = redis.Redis.from_url(broker)
        while time.perf_counter() < deadline and (queues.llen("celery") or queues.hlen("unacked")):
            time.sleep(step)
    os.sync()
    while time.perf_counter() < deadline:
        before = _cpu_times()
        time.sleep(step)
        if _busy(before, _cpu_times()) < idle_below:
            return time.perf_counter() - step
    return time.perf_counter()


def _cpu_times() -> tuple[int, int]:
    """(idle, total) jiffies of all cores, from /proc/stat (idle counts I/O wait too)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    return values[3] + values[4], sum(values)


def _process_cpu() -> dict[str, float]:
    """CPU seconds (user + system) used so far by every process, summed by command name
    (``postgres``, ``gunicorn``, ``Orthanc``, the kernel's ``kworker`` threads as one…): what
    ``--processes`` prints a round of."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        if name.startswith("kworker/"):  # the kernel's workers rename themselves by job: one line
            name = "kworker"
        with contextlib.suppress(OSError):
            command = (stat.parent / "cmdline").read_bytes().decode(errors="replace")
            name = next((n for n in ("gunicorn", "celery", "bench/stow/run.py") if n in command), name)
        fields = text[text.rindex(")") + 2 :].split()
        used[name] = used.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return used


def _busy(before: tuple[int, int], after: tuple[int, int]) -> float:
    idle, total = after[0] - before[0], after[1] - before[1]
    return 1 - idle / total if total else 0.0


def check_stored(server: Server, number: int, studies: int) -> None:
    """Every study of the round is there (searched back over QIDO-RS)."""
    root = (ROOT_UID[:-4] + str(5711 + number).encode()).decode()
    with httpx.Client(timeout=60, auth=("bench", PASSWORD)) as client:
        response = client.get(f"{server.base}/studies", params={"limit": 1000})
        response.raise_for_status()
        found = [s for s in response.json() if s["0020000D"]["Value"][0].startswith(root + ".")]
        assert len(found) == studies, (server.name, len(found))


FORMS = {"one": 1, "series": 25}


def _next_database(url: str) -> str:
    """The Redis URL with the next database number (``redis://host:port/5`` → ``…/6``)."""
    base, _slash, number = url.rstrip("/").rpartition("/")
    if not number.isdigit():
        return f"{url.rstrip('/')}/1"
    return f"{base}/{int(number) + 1}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--studies", type=int, default=20)
    parser.add_argument("--slices", type=int, default=25)
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--forms", default="one,series", help="comma-separated: one, series")
    parser.add_argument(
        "--processes", action="store_true", help="print each round's CPU seconds by process name (from /proc)"
    )
    parser.add_argument("--web-class", default="gthread", help="gunicorn worker class: gthread or sync")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument(
        "--before-web",
        default="",
        help="gunicorn class:workers:threads of the --before portal (default: the same as this one's), "
        "to compare two configurations of one tree (--before .)",
    )
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument(
        "--in-request",
        action="store_true",
        help="the default: the portal stores in the request (RAYPORT_STOW_IN_REQUEST)",
    )
    parser.add_argument(
        "--through-worker", action="store_true", help="the portal hands the batch to the worker and waits"
    )
    parser.add_argument(
        "--db-suffix", default="", help="appended to the bench's database names (one set per person running it)"
    )
    parser.add_argument(
        "--before",
        default="",
        help="a second Rayport from this source tree (e.g. an export of main) on --port + 1, with a Celery "
        "worker of its own, measured in the same run",
    )
    parser.add_argument(
        "--before-redis",
        default="",
        help="the --before Rayport's Redis (broker and cache: never --redis, or each worker would take the "
        "other's tasks); default --redis with the database number + 1",
    )
    parser.add_argument("--port", type=int, default=15300, help="the portal's; Orthanc takes +10/+11 and +20/+21")
    args = parser.parse_args()
    corpus = make_corpus(ROOT / "bench" / "dicomweb" / ".corpus", args.studies, args.slices)
    size = sum(item.path.stat().st_size for item in corpus) / 1e6
    print(f"Load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"Corpus: {len(corpus)} files in {args.studies} studies, {size:.0f} MB; {args.clients} concurrent clients")

    data = HERE / ".data"
    database = f"rayport_stow_bench{args.db_suffix}"
    env = portal_env(args, data / "portal", database)
    prepare_portal(env, data / "portal", database)
    portal = Server("Rayport", f"http://127.0.0.1:{args.port}", "", "", args.redis)
    portal.base = f"{portal.root}/dicomweb"
    portal.stow = f"{portal.base}/studies"
    rayports = [portal]
    before_env: dict[str, str] = {}
    if args.before:
        tree = args.before = Path(args.before).resolve()
        before_db = f"rayport_stow_bench_before{args.db_suffix}"
        before_redis = args.before_redis or _next_database(args.redis)
        if before_redis == args.redis:
            parser.error("--before-redis must differ from --redis")
        before_env = portal_env(args, data / "before", before_db, tree, before_redis)
        prepare_portal(before_env, data / "before", before_db, tree)
        before = Server("Rayport before", f"http://127.0.0.1:{args.port + 1}", "", "", before_redis)
        before.base = f"{before.root}/dicomweb"
        before.stow = f"{before.base}/studies"
        rayports.append(before)
    sqlite = Server("Orthanc SQLite", f"http://127.0.0.1:{args.port + 10}", "", "")
    postgres = Server("Orthanc PostgreSQL", f"http://127.0.0.1:{args.port + 20}", "", "")
    for orthanc in (sqlite, postgres):
        orthanc.base = f"{orthanc.root}/dicom-web"
        orthanc.stow = f"{orthanc.base}/studies"
    binary = shutil.which("Orthanc") or "/usr/sbin/Orthanc"
    web = [
        PYTHON, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{args.port}", "-k", args.web_class,
        "-w", str(args.web_workers), "--threads", str(args.web_threads), "--timeout", "600",
        "--no-control-socket",  # gunicorn 27 shares one control socket per user otherwise
    ]  # fmt: skip
    print(f"Rayport: gunicorn {args.web_class}, {args.web_workers} workers x {args.web_threads} threads")
    worker = [
        PYTHON, "-m", "celery", "-A", "portal", "worker", "--loglevel", "warning",
        "--concurrency", str(args.worker_concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    forms = [f.strip() for f in args.forms.split(",") if f.strip()]
    results: dict[tuple[str, str], list[Result]] = {}
    servers = [*rayports, sqlite, postgres]
    with contextlib.ExitStack() as stack:
        if args.before:  # the same gunicorn and worker, from the other tree (run there: first on the path)
            bind = web.index("-b") + 1
            before_web = [*web[:bind], f"127.0.0.1:{args.port + 1}", *web[bind + 1 :], "--chdir", str(args.before)]
            if args.before_web:
                kind, workers, threads = args.before_web.split(":")
                for flag, value in (("-k", kind), ("-w", workers), ("--threads", threads)):
                    before_web[before_web.index(flag) + 1] = value
                print(f"Rayport before: gunicorn {kind}, {workers} workers x {threads} threads")
            stack.enter_context(running(before_web, before_env, data / "before" / "web.log", cwd=args.before))
            stack.enter_context(running(worker, before_env, data / "before" / "worker.log", cwd=args.before))
        _measure(args, env, data, web, worker, binary, rayports, servers, forms, results, corpus)

    print()
    header = "".join(f" {r.name + ' ÷ it':>22}" for r in rayports)
    print(f"{'form':8} {'server':20} {'inst/s':>8} {'MB/s':>7} {'p50 ms':>8} {'p95 ms':>8}{header}")
    for form in forms:
        rates = {r.name: statistics.median(x.instances / x.seconds for x in results[(form, r.name)]) for r in rayports}
        for server in servers:
            rounds = results[(form, server.name)]
            rate = statistics.median(r.instances / r.seconds for r in rounds)
            mbs = statistics.median(r.megabytes / r.seconds for r in rounds)
            p50 = statistics.median(percentile(r.request_ms, 50) for r in rounds)
            p95 = statistics.median(percentile(r.request_ms, 95) for r in rounds)
            ratios = "".join(f" {'':>22}" if server is r else f" {rates[r.name] / rate:21.2f}×" for r in rayports)
            print(f"{form:8} {server.name:20} {rate:8.1f} {mbs:7.1f} {p50:8.1f} {p95:8.1f}{ratios}")
    print(f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"(medians of {args.rounds} alternating rounds; ratios above 1: Rayport stores faster)")
    _paired(forms, rayports, servers, results)
    shutil.rmtree(data, ignore_errors=True)


def _paired(
    forms: list[str], rayports: list[Server], servers: list[Server], results: dict[tuple[str, str], list[Result]]
) -> None:
    """Each round's ratio, then their median and range: the servers of one round run within a
    minute of each other, so a drift of the machine's speed over the run (a third over a day
    here) cancels out of these, not out of the ratio of the medians above."""
    print("\nPaired by round: median (lowest–highest) of each round's ratio")
    for form in forms:
        for rayport in rayports:
            for other in servers:
                if other is rayport or (other in rayports and rayports.index(other) < rayports.index(rayport)):
                    continue  # itself, or the inverse of a pair already shown
                ratios = sorted(
                    (mine.instances / mine.seconds) / (theirs.instances / theirs.seconds)
                    for mine, theirs in zip(results[(form, rayport.name)], results[(form, other.name)], strict=True)
                )
                shown = f"{rayport.name} ÷ {other.name}"
                print(f"{form:8} {shown:40} {statistics.median(ratios):5.2f}× ({ratios[0]:.2f}–{ratios[-1]:.2f})")


def _measure(
    args: argparse.Namespace,
    env: dict[str, str],
    data: Path,
    web: list[str],
    worker: list[str],
    binary: str,
    rayports: list[Server],
    servers: list[Server],
    forms: list[str],
    results: dict[tuple[str, str], list[Result]],
    corpus: list[Instance],
) -> None:
    sqlite, postgres = servers[-2:]
    with (
        running(web, env, data / "portal" / "web.log"),
        running(worker, env, data / "portal" / "worker.log"),
        running(
            [binary, str(orthanc_config(data / "orthanc-sqlite", args.port + 10, postgres=False))],
            dict(os.environ),
            data / "orthanc-sqlite.log",
        ),
        running(
            [
                binary,
                str(orthanc_config(data / "orthanc-postgres", args.port + 20, postgres=True, suffix=args.db_suffix)),
            ],
            dict(os.environ),
            data / "orthanc-postgres.log",
        ),
    ):
        for rayport in rayports:
            wait_http(f"{rayport.root}/accounts/login/")
        for orthanc in (sqlite, postgres):
            wait_http(f"{orthanc.root}/system")
        number = 0
        # Warm-up: every web worker checks the password once (0.36 s of PBKDF2) and opens its
        # connections. A client's connection stays with the worker that took it, so a single
        # pass of 5 clients can leave workers cold for the first measured round: 4 passes.
        for server in servers:
            for _ in range(4):
                send_all(server, corpus[: args.clients * 2], args.clients, 1, 90 + number)
                number += 1
        for form in forms:
            for round_number in range(1, args.rounds + 1):
                number += 1
                print(f"{form}: round {round_number} of {args.rounds}")
                for server in servers:
                    processes = _process_cpu() if args.processes else {}
                    result = send_all(server, corpus, args.clients, FORMS[form], number)
                    check_stored(server, number, args.studies)
                    results.setdefault((form, server.name), []).append(result)
                    p50, p95 = percentile(result.request_ms, 50), percentile(result.request_ms, 95)
                    rate = result.instances / result.seconds
                    print(
                        f"  {server.name:20} {rate:7.1f} instances/s  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"
                        f"  CPU busy {result.busy:4.0%}  idle again after {result.settled:5.2f} s"
                    )
                    if args.processes:
                        after = _process_cpu()
                        spent = {n: after[n] - processes.get(n, 0.0) for n in after}
                        top = sorted(spent.items(), key=lambda item: -item[1])[:8]
                        print("    CPU s: " + ", ".join(f"{n} {v:.2f}" for n, v in top if v >= 0.01))


if __name__ == "__main__":
    main()
