"""DICOMweb read speed: the portal's ``/dicomweb/`` against Orthanc's DICOMweb plugin, on the
same files, the same client code and the same concurrency, in one run.

    .venv/bin/python bench/dicomweb/run.py            # --help for the options

1. **Corpus** (made once, seeded, under ``bench/dicomweb/.corpus``): ``--studies`` (20) CT
   studies of ``--slices`` (25) uncompressed 512×512 16-bit slices, about 260 MB for 500.
2. **Portal**: a fresh PostgreSQL database (``rayport_dicomweb_bench``), the corpus uploaded
   through ``upload_dicom`` and ingested in-process (as a worker would), then gunicorn
   (gthread, ``--web-workers`` × ``--web-threads``) on 127.0.0.1:``--port``; the clients sign
   in and send the session cookie.
3. **Orthanc** from Debian (``apt-get install orthanc orthanc-dicomweb``), started with a
   configuration of our own on ``--port`` + 10 (HTTP) and + 11 (DICOM), never the system
   service; the corpus is POSTed to ``/instances`` first.
4. **Measured** in ``--rounds`` (3) rounds alternating between the servers (both run
   throughout; the median of the rounds is reported), on each server with ``--clients`` (4) threads sharing the work:
   * WADO-RS instance retrieve: every instance, ``multipart/related; type="application/dicom"``
     (instances/s and MB/s of body);
   * WADO-RS frames: ``/frames/1`` of every instance as ``application/octet-stream``
     (frames/s: what a viewer's stack load costs);
   * QIDO-RS study search: ``--searches`` (100) searches one after another, by patient name
     with a wildcard, by study date range, and all studies (p50 / p95 ms).

Prints a table with the portal ÷ Orthanc ratios (above 1: the portal is faster). Both servers
share the machine with whatever else runs on it: run it on a quiet machine, and more than once.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.ingest.run import fresh_database, running, wait_http  # noqa: E402
from bench.timing import percentile  # noqa: E402

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
PG = "postgres://postgres@127.0.0.1:5432"
PASSWORD = "bench-password-4711"  # a throwaway user in a throwaway database
DICOM = 'multipart/related; type="application/dicom"'
OCTETS = 'multipart/related; type="application/octet-stream"'


# --- the corpus ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    study: str
    series: str
    sop: str
    path: Path


def make_corpus(folder: Path, studies: int, slices: int) -> list[Instance]:
    from pydicom import dcmread
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.filewriter import dcmwrite
    from pydicom.uid import UID, ExplicitVRLittleEndian

    files = sorted(folder.glob("*.dcm"))
    if len(files) != studies * slices:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        rng = random.Random(4711)
        root = "1.2.826.0.1.3680043.8.498.5711"
        names = ["GARCIA^MARIA", "GARCIA^JOSE", "PEREZ^ANA", "SMITH^JOHN", "MULLER^JONAS", "ROSSI^GIULIA"]
        for s in range(studies):
            study, series = f"{root}.1.{s + 1}", f"{root}.2.{s + 1}"
            for index in range(slices):
                meta = FileMetaDataset()
                meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.2")
                meta.MediaStorageSOPInstanceUID = UID(f"{root}.3.{s + 1}.{index + 1}")
                meta.TransferSyntaxUID = ExplicitVRLittleEndian
                ds = Dataset()
                ds.file_meta = meta
                ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
                ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
                ds.PatientName, ds.PatientID = names[s % len(names)], f"BENCH-{s % len(names)}"
                ds.PatientBirthDate, ds.PatientSex = "19700101", "O"
                ds.StudyDate, ds.StudyTime = f"2026{(s % 12) + 1:02d}15", "101500"
                ds.AccessionNumber, ds.Modality, ds.SeriesNumber, ds.InstanceNumber = f"ACC{s}", "CT", 1, index + 1
                ds.Rows = ds.Columns = 512
                ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
                ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
                ds.RescaleIntercept, ds.RescaleSlope, ds.WindowCenter, ds.WindowWidth = -1024, 1, 40, 400
                ds.PixelData = rng.randbytes(512 * 512 * 2)
                dcmwrite(folder / f"{s + 1:03d}_{index + 1:04d}.dcm", ds, enforce_file_format=True)
        files = sorted(folder.glob("*.dcm"))
    out = []
    for path in files:
        ds = dcmread(path, stop_before_pixels=True)
        out.append(Instance(ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID, path))
    return out


# --- the servers ---------------------------------------------------------------------------------

_LOAD = """
import shutil, sys
from pathlib import Path
from unittest import mock
from django.contrib.auth import get_user_model
from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.local.models import Institution, UploadBatch
from postdicom.local.uploads.ingest import run_batch
from postdicom.types import UploadFile
clinic = Institution.objects.create(name="Bench")
user = get_user_model().objects.create_user("bench", password=sys.argv[1])
profile = profile_of(user); profile.role = "staff"; profile.save(); profile.institutions.set([clinic])
staging = Path(sys.argv[3]); staging.mkdir(parents=True, exist_ok=True)
files = []
for path in sorted(Path(sys.argv[2]).glob("*.dcm")):
    copy = staging / path.name
    shutil.copyfile(path, copy)
    files.append(UploadFile(name=path.name, path=str(copy), size=copy.stat().st_size))
with mock.patch("postdicom.local.uploads.queue._send"):
    receipt = get_api().upload_dicom(actor=user, institution_id=clinic.uuid, files=files)
    run_batch(UploadBatch.objects.get(uuid=receipt.batch_id).pk)
"""


class Server:
    name: str
    base: str  # the DICOMweb base URL

    def client(self) -> httpx.Client:
        return httpx.Client(timeout=120)


class Portal(Server):
    name = "Rayport /dicomweb/"

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.data = HERE / ".data" / "portal"
        self.root = f"http://127.0.0.1:{args.port}"
        self.base = f"{self.root}/dicomweb"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"{PG}/{args.database}",
            "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
            "RAYPORT_DATA_DIR": str(self.data),
            "RAYPORT_DEBUG": "false",
            "RAYPORT_LOG_LEVEL": "warning",
        }

    def prepare(self, corpus: Path) -> None:
        shutil.rmtree(self.data, ignore_errors=True)
        self.data.mkdir(parents=True)
        fresh_database(self.args.database)
        subprocess_run([PYTHON, "manage.py", "migrate", "-v0"], self.env)
        script = self.data / "load.py"
        script.write_text(_LOAD)
        runner = "import sys, runpy, django; django.setup(); sys.argv[:] = sys.argv[1:]; runpy.run_path(sys.argv[0])"
        subprocess_run(
            [PYTHON, "-c", runner, str(script), PASSWORD, str(corpus), str(self.data / "staging")],
            {**self.env, "DJANGO_SETTINGS_MODULE": "portal.settings", "PYTHONPATH": str(ROOT)},
        )

    def command(self) -> list[str]:
        return [
            PYTHON, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{self.args.port}", "-k", "gthread",
            "-w", str(self.args.web_workers), "--threads", str(self.args.web_threads), "--timeout", "600",
            "--no-control-socket",  # gunicorn 27 shares one control socket per user otherwise
        ]  # fmt: skip

    def client(self) -> httpx.Client:
        client = httpx.Client(timeout=120)
        client.get(f"{self.root}/accounts/login/")
        response = client.post(
            f"{self.root}/accounts/login/",
            data={"username": "bench", "password": PASSWORD, "csrfmiddlewaretoken": client.cookies["csrftoken"]},
            headers={"Referer": f"{self.root}/accounts/login/"},
        )
        assert response.status_code in (200, 302), response.status_code
        assert "sessionid" in client.cookies, "the bench user could not sign in"
        return client


def subprocess_run(command: list[str], env: dict[str, str]) -> None:
    import subprocess

    subprocess.run(command, cwd=ROOT, env=env, check=True)


class Orthanc(Server):
    name = "Orthanc 1.10 + DICOMweb plugin"

    def __init__(self, args: argparse.Namespace) -> None:
        self.folder = HERE / ".data" / "orthanc"
        self.port = args.port + 10
        self.root = f"http://127.0.0.1:{self.port}"
        self.base = f"{self.root}/dicom-web"
        self.binary = shutil.which("Orthanc") or "/usr/sbin/Orthanc"

    def config(self) -> Path:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        config = {
            "Name": "bench",
            "HttpPort": self.port,
            "DicomPort": self.port + 1,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "StorageDirectory": str(self.folder / "storage"),
            "IndexDirectory": str(self.folder / "index"),
            "HttpThreadsCount": 50,
            "StorageCompression": False,
            "Plugins": ["/usr/share/orthanc/plugins/libOrthancDicomWeb.so"],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": False},
        }
        path = self.folder / "config.json"
        path.write_text(json.dumps(config))
        return path

    def load(self, corpus: list[Instance]) -> None:
        with httpx.Client(timeout=120) as client:
            for item in corpus:
                client.post(f"{self.root}/instances", content=item.path.read_bytes()).raise_for_status()


# --- measuring -----------------------------------------------------------------------------------


@dataclass
class Throughput:
    seconds: float
    count: int
    megabytes: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds


def in_threads(
    server: Server, clients: int, items: list[Instance], fetch: Callable[[httpx.Client, Instance], int]
) -> Throughput:
    sessions = [server.client() for _ in range(clients)]
    shares = [items[i::clients] for i in range(clients)]
    sizes = [0] * clients
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for item in shares[n]:
                sizes[n] += fetch(sessions[n], item)
        except BaseException as error:  # re-raised below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    for session in sessions:
        session.close()
    if errors:
        raise errors[0]
    return Throughput(seconds, len(items), sum(sizes) / 1e6)


def _get(client: httpx.Client, url: str, accept: str) -> int:
    size = 0
    with client.stream("GET", url, headers={"Accept": accept}) as response:
        response.raise_for_status()
        for piece in response.iter_bytes():
            size += len(piece)
    return size


def instances(server: Server, corpus: list[Instance], clients: int) -> Throughput:
    def fetch(client: httpx.Client, item: Instance) -> int:
        return _get(client, f"{server.base}/studies/{item.study}/series/{item.series}/instances/{item.sop}", DICOM)

    return in_threads(server, clients, corpus, fetch)


def frames(server: Server, corpus: list[Instance], clients: int) -> Throughput:
    def fetch(client: httpx.Client, item: Instance) -> int:
        url = f"{server.base}/studies/{item.study}/series/{item.series}/instances/{item.sop}/frames/1"
        return _get(client, url, OCTETS)

    return in_threads(server, clients, corpus, fetch)


def searches(server: Server, count: int, studies: int) -> list[float]:
    queries = [{"PatientName": "GARCIA*"}, {"StudyDate": "20260101-20260630"}, {}, {"PatientID": "BENCH-3"}]
    times = []
    client = server.client()
    try:
        for n in range(count + 1):
            started = time.perf_counter()
            response = client.get(f"{server.base}/studies", params=queries[n % len(queries)])
            response.raise_for_status()
            if n:  # the first is a warm-up
                times.append((time.perf_counter() - started) * 1000)
            if not queries[n % len(queries)]:
                assert len(response.json()) == studies, len(response.json())
    finally:
        client.close()
    return times


@dataclass
class Measured:
    instances: Throughput
    frames: Throughput
    search_ms: list[float]


def measure(server: Server, corpus: list[Instance], args: argparse.Namespace) -> Measured:
    _ = instances(server, corpus[: args.clients * 2], args.clients)  # warm-up: connections, caches
    measured = Measured(
        instances(server, corpus, args.clients),
        frames(server, corpus, args.clients),
        searches(server, args.searches, args.studies),
    )
    print(
        f"  {server.name}: {measured.instances.per_second:.0f} instances/s, "
        f"{measured.frames.per_second:.0f} frames/s, QIDO p50 {percentile(measured.search_ms, 50):.1f} ms"
    )
    return measured


LABELS = (
    ("WADO-RS instances/s", True),
    ("WADO-RS MB/s", True),
    ("WADO-RS frames/s", True),
    ("QIDO-RS studies p50 ms", False),
    ("QIDO-RS studies p95 ms", False),
)


def median_of(rounds: list[Measured]) -> dict[str, float]:
    """Each figure's median over the rounds."""
    figures = [
        {
            "WADO-RS instances/s": m.instances.per_second,
            "WADO-RS MB/s": m.instances.megabytes / m.instances.seconds,
            "WADO-RS frames/s": m.frames.per_second,
            "QIDO-RS studies p50 ms": percentile(m.search_ms, 50),
            "QIDO-RS studies p95 ms": percentile(m.search_ms, 95),
        }
        for m in rounds
    ]
    return {label: statistics.median(f[label] for f in figures) for label, _better in LABELS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--studies", type=int, default=20)
    parser.add_argument("--slices", type=int, default=25)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--searches", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per server (median reported)")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=15200, help="the portal's; Orthanc takes +10 and +11")
    parser.add_argument("--database", default="rayport_dicomweb_bench", help="dropped and recreated")
    parser.add_argument("--redis-db", type=int, default=5)
    args = parser.parse_args()
    corpus = make_corpus(HERE / ".corpus", args.studies, args.slices)
    size = sum(item.path.stat().st_size for item in corpus) / 1e6
    print(f"Corpus: {len(corpus)} files in {args.studies} studies, {size:.0f} MB; {args.clients} concurrent clients")

    portal, orthanc = Portal(args), Orthanc(args)
    portal.prepare(HERE / ".corpus")
    ours: list[Measured] = []
    theirs: list[Measured] = []
    with (
        running(portal.command(), portal.env, portal.data / "web.log"),
        running([orthanc.binary, str(orthanc.config())], dict(os.environ), orthanc.folder / "orthanc.log"),
    ):
        wait_http(f"{portal.root}/accounts/login/")
        wait_http(f"{orthanc.root}/system")
        orthanc.load(corpus)
        # Rounds alternate between the servers, so that load from elsewhere on the machine
        # falls on both alike; each figure is the median of the rounds.
        for round_number in range(1, args.rounds + 1):
            print(f"Round {round_number} of {args.rounds}")
            ours.append(measure(portal, corpus, args))
            theirs.append(measure(orthanc, corpus, args))
    mine, other = median_of(ours), median_of(theirs)

    print()
    print(f"{'':34} {'Rayport':>12} {'Orthanc':>12} {'Rayport ÷ Orthanc':>18}")
    for label, higher_is_better in LABELS:
        ratio = mine[label] / other[label] if higher_is_better else other[label] / mine[label]
        print(f"{label:34} {mine[label]:12.1f} {other[label]:12.1f} {ratio:17.2f}×")
    print(f"(medians of {args.rounds} alternating rounds)")
    print("(ratios above 1: Rayport is faster; for latencies the ratio is Orthanc's time ÷ Rayport's)")
    shutil.rmtree(HERE / ".data", ignore_errors=True)


if __name__ == "__main__":
    main()
