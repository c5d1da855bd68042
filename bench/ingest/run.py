"""Upload ingest: the portal against Orthanc on the same corpus and concurrency.

    .venv/bin/python bench/ingest/run.py            # --help for the options

1. **Corpus** (made once, seeded): ``--files`` (500) CT slices of 512×512 16-bit pixels in one
   study of five series, about 260 MB, under ``bench/ingest/.corpus``.
2. **Portal**: a fresh PostgreSQL database (``rayport_ingest_bench``), Redis DB 12, gunicorn
   (gthread, ``--web-workers`` × 4 threads) and a Celery worker (``--worker-concurrency``), all
   on 127.0.0.1. ``--clients`` (5) clients sign in and each sends its share of the corpus
   through the browser's protocol (batch, register, PUTs of at most 8 MB: small files many
   to a request, big files in chunks; finish). Timed from the first request until every instance is stored and indexed.
3. **Orthanc** from Debian (``apt-get install orthanc orthanc-postgresql``), started with a
   configuration of our own on free ports, once with the PostgreSQL index plugin (database
   ``orthanc_ingest_bench``) and once with its SQLite index: the same clients ``POST
   /instances`` the same files (Orthanc answers once the instance is stored and indexed).
4. **Memory**: one client sends a 2 GB file (``--big-gb``) in 8 MB chunks to the portal while
   the RSS of every gunicorn worker is sampled; reports the growth over the idle worker.

Prints instances/s and MB/s for each and the ratios. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
PG = "postgres://postgres@127.0.0.1:5432"
CHUNK = 16 * 1024 * 1024
PASSWORD = "bench-password-4711"  # a throwaway user in a throwaway database


# --- the corpus ---------------------------------------------------------------------------------


def make_corpus(folder: Path, count: int) -> list[Path]:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.filewriter import dcmwrite
    from pydicom.uid import UID, ExplicitVRLittleEndian

    files = sorted(folder.glob("ct_*.dcm"))
    if len(files) == count:
        return files
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = random.Random(4711)
    root = "1.2.826.0.1.3680043.8.498.4711"
    study = f"{root}.1"
    for index in range(count):
        series_number = index * 5 // count + 1
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.2")
        meta.MediaStorageSOPInstanceUID = UID(f"{root}.3.{index + 1}")
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, f"{root}.2.{series_number}"
        ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = "Bench^Corpus", "BENCH-1", "19700101", "O"
        ds.StudyDate, ds.StudyTime, ds.StudyDescription = "20261120", "101500", "CT chest abdomen pelvis"
        ds.AccessionNumber, ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "BENCH-ACC", "CT", series_number, index
        ds.Rows = ds.Columns = 512
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.PixelData = rng.randbytes(512 * 512 * 2)
        dcmwrite(folder / f"ct_{index:04d}.dcm", ds, enforce_file_format=True)
    return sorted(folder.glob("ct_*.dcm"))


# --- helpers --------------------------------------------------------------------------------------


#: First loopback port to try (``--port-base``); 0 lets the system choose.
PORT_BASE = [0]


def free_port() -> int:
    """A free loopback port: the next free one from ``--port-base`` (so parallel runs on one
    machine keep to their own range), else one the system chooses."""
    while True:
        wanted = PORT_BASE[0]
        if wanted:
            PORT_BASE[0] += 1
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", wanted))
            except OSError:
                continue
            return int(s.getsockname()[1])


def fresh_database(name: str) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=out, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)


def share(files: list[Path], clients: int) -> list[list[Path]]:
    return [files[i::clients] for i in range(clients)]


def in_threads(work: Callable[[int], None], count: int) -> None:
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            work(n)
        except BaseException as error:  # reported after the join
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


@dataclass
class Result:
    name: str
    seconds: float
    instances: int
    megabytes: float

    @property
    def per_second(self) -> float:
        return self.instances / self.seconds

    @property
    def mb_per_second(self) -> float:
        return self.megabytes / self.seconds


def cpu_by_kind() -> dict[str, float]:
    """CPU seconds used so far by each kind of process on the machine (web, worker, database,
    Orthanc, this script), from /proc: where the time of a run goes."""
    tick = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if int(entry.name) == me:
            kind = "clients (this script)"
        elif "gunicorn" in command:
            kind = "web (gunicorn)"
        elif "celery" in command:
            kind = "worker (celery)"
        elif command.startswith("postgres"):
            kind = "postgresql"
        elif "redis" in command:
            kind = "redis"
        elif "Orthanc" in command:
            kind = "orthanc"
        else:
            continue
        totals[kind] = totals.get(kind, 0.0) + seconds
    return totals


def cpu_report(before: dict[str, float], after: dict[str, float], seconds: float) -> None:
    used = {kind: after.get(kind, 0.0) - before.get(kind, 0.0) for kind in after}
    parts = ", ".join(
        f"{kind} {value:.2f}" for kind, value in sorted(used.items(), key=lambda kv: -kv[1]) if value > 0.005
    )
    print(f"    CPU seconds in {seconds:.2f} s on {os.cpu_count()} cores: {parts}")


# --- the portal -----------------------------------------------------------------------------------


class Portal:
    def __init__(self, data: Path, args: argparse.Namespace) -> None:
        self.data, self.args = data, args
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.database = f"rayport_ingest_bench{args.suffix}"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"{PG}/{self.database}",
            "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
            "RAYPORT_DATA_DIR": str(data),
            "RAYPORT_DEBUG": "false",
            "RAYPORT_LOG_LEVEL": "warning",
        }

    def prepare(self) -> None:
        shutil.rmtree(self.data, ignore_errors=True)
        self.data.mkdir(parents=True)
        fresh_database(self.database)
        import redis

        redis.Redis.from_url(self.env["REDIS_URL"]).flushdb()
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=self.env, check=True)
        script = (
            "from postdicom.local.models import Institution;"
            "from postdicom.local.access import profile_of;"
            "from django.contrib.auth import get_user_model;"
            "i=Institution.objects.create(name='Bench');"
            f"u=get_user_model().objects.create_user('bench', password='{PASSWORD}');"
            "p=profile_of(u); p.role='staff'; p.save(); p.institutions.set([i]); print(i.uuid)"
        )
        out = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", script], cwd=ROOT, env=self.env, check=True, capture_output=True
        )
        self.institution = out.stdout.decode().strip().splitlines()[-1]

    def web_command(self) -> list[str]:
        return [
            PYTHON, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{self.port}", "-k", "gthread",
            "-w", str(self.args.web_workers), "--threads", str(self.args.web_threads), "--timeout", "600",
        ]  # fmt: skip

    def worker_command(self) -> list[str]:
        return [
            PYTHON, "-m", "celery", "-A", "portal", "worker", "--concurrency", str(self.args.worker_concurrency),
            "--without-gossip", "--without-mingle", "--loglevel", "warning",
        ]  # fmt: skip

    def client(self) -> httpx.Client:
        client = httpx.Client(base_url=self.base, timeout=600)
        client.get("/accounts/login/")
        token = client.cookies["csrftoken"]
        response = client.post(
            "/accounts/login/",
            data={"username": "bench", "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.base + "/accounts/login/"},
        )
        assert response.status_code in (200, 302), response.status_code
        client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
        client.headers["Referer"] = self.base + "/orders/upload/"
        return client

    def send(self, client: httpx.Client, files: list[tuple[str, int, Callable[[int, int], bytes]]]) -> str:
        batch = client.post("/orders/upload/batches/", data={"institution_id": self.institution}).json()
        registered = []
        for start in range(0, len(files), 500):
            group = [{"name": n, "size": s, "last_modified": 0} for n, s, _ in files[start : start + 500]]
            registered += client.post(batch["files_url"], json={"files": group}).json()["files"]
        bundle: list[tuple[str, int, bytes]] = []

        def flush() -> None:
            if bundle:
                header = ",".join(f"{file_id}:{offset}:{len(body)}" for file_id, offset, body in bundle)
                response = client.put(
                    batch["parts_url"], content=b"".join(b for _i, _o, b in bundle), headers={"X-Upload-Parts": header}
                )
                response.raise_for_status()
                bundle.clear()

        for (_name, size, read), state in zip(files, registered, strict=True):
            offset = state["received"]
            if size - offset < CHUNK:  # small files travel together, as the browser sends them
                if sum(len(b) for _i, _o, b in bundle) + size - offset > CHUNK or len(bundle) >= 64:
                    flush()
                bundle.append((state["id"], offset, read(offset, size)))
                continue
            while offset < size:
                body = read(offset, min(size, offset + CHUNK))
                response = client.put(f"{batch['files_url']}{state['id']}/?offset={offset}", content=body)
                response.raise_for_status()
                offset = response.json()["received"]
        flush()
        client.post(batch["finish_url"]).raise_for_status()
        return str(batch["id"])

    def done(self, conn: psycopg.Connection, ids: list[str], count: int) -> bool:
        """Every instance stored and every batch done (one open connection: opening one per
        poll would fork a PostgreSQL backend each time and steal CPU from what is measured)."""
        row = conn.execute(
            "SELECT (SELECT count(*) FROM postdicom_instancerecord WHERE stored),"
            " (SELECT count(*) FROM postdicom_uploadbatch WHERE state = 'done' AND uuid = ANY(%s::uuid[]))",
            [ids],
        ).fetchone()
        return bool(row and row[0] >= count and row[1] == len(ids))

    def worker_pids(self, web: subprocess.Popen[bytes]) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(web.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]


def rss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"VmRSS:\s+(\d+)", text)
    return int(match.group(1)) if match else 0


def file_reader(path: Path) -> Callable[[int, int], bytes]:
    def read(start: int, end: int) -> bytes:
        with open(path, "rb") as handle:
            handle.seek(start)
            return handle.read(end - start)

    return read


def bench_portal(args: argparse.Namespace, corpus: list[Path]) -> tuple[Result, dict[str, float]]:
    portal = Portal(HERE / ".data" / "portal", args)
    portal.prepare()
    logs = portal.data
    memory: dict[str, float] = {}
    with (
        running(portal.web_command(), portal.env, logs / "web.log") as web,
        running(portal.worker_command(), portal.env, logs / "worker.log"),
    ):
        wait_http(portal.base + "/accounts/login/")
        clients = [portal.client() for _ in range(args.clients)]
        time.sleep(2)  # let the worker finish starting
        parts = share(corpus, args.clients)
        ids: list[str] = [""] * args.clients
        cpu_before = cpu_by_kind()
        started = time.perf_counter()

        def work(n: int) -> None:
            files = [(p.name, p.stat().st_size, file_reader(p)) for p in parts[n]]
            ids[n] = portal.send(clients[n], files)

        in_threads(work, args.clients)
        sent = time.perf_counter() - started
        with psycopg.connect(portal.env["DATABASE_URL"], autocommit=True) as conn:
            while not portal.done(conn, ids, len(corpus)):
                time.sleep(0.05)
        seconds = time.perf_counter() - started
        cpu_report(cpu_before, cpu_by_kind(), seconds)
        size = sum(p.stat().st_size for p in corpus) / 1e6
        print(f"  portal: sent in {sent:.1f} s, everything indexed after {seconds:.1f} s")
        if args.big_gb:
            memory = big_upload(portal, web, clients[0], args.big_gb)
    return Result("Rayport (PostgreSQL + Redis + Celery)", seconds, len(corpus), size), memory


def big_upload(
    portal: Portal, web: subprocess.Popen[bytes], client: httpx.Client, gigabytes: float
) -> dict[str, float]:
    """Send one huge file and watch the web workers' memory."""
    size = int(gigabytes * (1 << 30))
    pids = portal.worker_pids(web)
    before = {pid: rss_kb(pid) for pid in pids}
    peak = dict(before)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for pid in pids:
                peak[pid] = max(peak[pid], rss_kb(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    piece = bytes(CHUNK)
    started = time.perf_counter()
    try:
        portal.send(client, [("huge.bin", size, lambda start, end: piece[: end - start])])
    finally:
        stop.set()
        sampler.join()
    seconds = time.perf_counter() - started
    growth = max(peak[pid] - before[pid] for pid in pids) / 1024
    print(f"  2 GB file: {seconds:.1f} s ({size / 1e6 / seconds:.0f} MB/s); worst web worker grew {growth:.1f} MB")
    return {"seconds": seconds, "growth_mb": growth, "idle_mb": max(before.values()) / 1024}


# --- Orthanc -------------------------------------------------------------------------------------------


def bench_orthanc(args: argparse.Namespace, corpus: list[Path], index: str) -> Result | None:
    orthanc = shutil.which("Orthanc")
    if orthanc is None:
        print("  Orthanc is not installed (apt-get install orthanc orthanc-postgresql): skipped")
        return None
    folder = HERE / ".data" / f"orthanc-{index}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    port = free_port()
    config: dict[str, object] = {
        "Name": "bench",
        "HttpPort": port,
        "DicomPort": free_port(),
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "StorageDirectory": str(folder / "storage"),
        "IndexDirectory": str(folder / "index"),
        "HttpThreadsCount": 50,
        "ConcurrentJobs": 2,
        "StorageCompression": False,
        "Plugins": [],
    }
    if index == "postgresql":
        fresh_database(f"orthanc_ingest_bench{args.suffix}")
        config["Plugins"] = ["/usr/share/orthanc/plugins/libOrthancPostgreSQLIndex.so"]
        config["PostgreSQL"] = {
            "EnableIndex": True,
            "EnableStorage": False,
            "Host": "127.0.0.1",
            "Port": 5432,
            "Database": f"orthanc_ingest_bench{args.suffix}",
            "Username": "postgres",
            "Password": "",
        }
    (folder / "config.json").write_text(json.dumps(config))
    base = f"http://127.0.0.1:{port}"
    with running([orthanc, str(folder / "config.json")], dict(os.environ), folder / "orthanc.log"):
        wait_http(base + "/system")
        parts = share(corpus, args.clients)
        cpu_before = cpu_by_kind()
        started = time.perf_counter()

        def work(n: int) -> None:
            with httpx.Client(base_url=base, timeout=600) as client:
                for path in parts[n]:
                    client.post("/instances", content=path.read_bytes()).raise_for_status()

        in_threads(work, args.clients)
        seconds = time.perf_counter() - started
        cpu_report(cpu_before, cpu_by_kind(), seconds)
        count = httpx.get(base + "/statistics").json()["CountInstances"]
        assert count == len(corpus), count
    size = sum(p.stat().st_size for p in corpus) / 1e6
    label = "Orthanc 1.10 + PostgreSQL index" if index == "postgresql" else "Orthanc 1.10 + SQLite index"
    return Result(label, seconds, len(corpus), size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--big-gb", type=float, default=2.0, help="0 skips the memory test")
    parser.add_argument("--skip-orthanc", action="store_true")
    parser.add_argument("--suffix", default="", help="appended to the databases' names (parallel runs)")
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--port-base", type=int, default=0, help="first port to use; 0: any free port")
    args = parser.parse_args()
    PORT_BASE[0] = args.port_base
    corpus = make_corpus(HERE / ".corpus", args.files)
    size = sum(p.stat().st_size for p in corpus) / 1e6
    print(f"Corpus: {len(corpus)} files, {size:.0f} MB; {args.clients} concurrent clients")
    results = []
    portal, memory = bench_portal(args, corpus)
    results.append(portal)
    if not args.skip_orthanc:
        for index in ("postgresql", "sqlite"):
            result = bench_orthanc(args, corpus, index)
            if result is not None:
                results.append(result)
    print()
    print(f"{'':40} {'seconds':>8} {'inst/s':>8} {'MB/s':>8} {'portal ÷ it':>12}")
    for result in results:
        ratio = portal.per_second / result.per_second
        print(
            f"{result.name:40} {result.seconds:8.1f} {result.per_second:8.1f} {result.mb_per_second:8.1f} {ratio:12.2f}"
        )
    if memory:
        print(f"\nWeb worker memory while receiving a {args.big_gb:g} GB file: +{memory['growth_mb']:.1f} MB")
    shutil.rmtree(HERE / ".data", ignore_errors=True)


if __name__ == "__main__":
    main()
