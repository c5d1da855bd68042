"""Downloading a study as a ZIP: throughput and the web process's memory.

    .venv/bin/python bench/zip_download/run.py            # --help for the options

1. **Corpus** (made once, seeded, under ``bench/zip_download/.corpus``): one CT study of
   ``--slices`` (500) uncompressed 512×512 16-bit slices, about 260 MB.
2. **Portal**: a fresh PostgreSQL database (``rayport_zip_download_bench``), the corpus
   uploaded through ``upload_dicom`` and ingested in-process (as a worker would), files on
   local disk; then gunicorn (one gthread worker) on 127.0.0.1:``--port``; the client signs
   in like a browser.
3. **Measured**: ``--rounds`` (3) downloads of ``/orders/<order>/download/`` read to the end
   by httpx in streaming mode: MB/s of body, time to the first byte, and the web worker's
   resident memory before the first download and its peak (``VmHWM``) after the last. The
   last download is kept and checked: every CRC, and pydicom's ``FileSet`` reading the
   DICOMDIR and finding every slice.

Prints one line per round and a summary. The machine is shared: run it more than once.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.dicomweb.run import _LOAD, PASSWORD, make_corpus, subprocess_run  # noqa: E402
from bench.ingest.run import fresh_database, running, wait_http  # noqa: E402

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
PG = "postgres://postgres@127.0.0.1:5432"
DATABASE = "rayport_zip_download_bench"

_ORDER = """
import sys
from postdicom.local.models import PatientOrder
print(PatientOrder.objects.get().uuid)
"""


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def _worker_pid(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.2)
    raise RuntimeError("gunicorn started no worker")


def _client(root: str) -> httpx.Client:
    client = httpx.Client(timeout=600)
    client.get(f"{root}/accounts/login/")
    response = client.post(
        f"{root}/accounts/login/",
        data={"username": "bench", "password": PASSWORD, "csrfmiddlewaretoken": client.cookies["csrftoken"]},
        headers={"Referer": f"{root}/accounts/login/"},
    )
    assert response.status_code in (200, 302), response.status_code
    assert "sessionid" in client.cookies, "the bench user could not sign in"
    return client


def _check(archive: bytes, slices: int) -> None:
    from pydicom import dcmread
    from pydicom.fileset import FileSet

    bundle = zipfile.ZipFile(io.BytesIO(archive))
    assert bundle.testzip() is None, "a CRC does not match"
    with tempfile.TemporaryDirectory() as folder:
        bundle.extractall(folder)
        found = list(FileSet(dcmread(Path(folder) / "DICOMDIR")))
        assert len(found) == slices, (len(found), slices)
        assert all(Path(instance.path).is_file() for instance in found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slices", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=12050)
    args = parser.parse_args()

    corpus = HERE / ".corpus"
    print(f"corpus: {args.slices} slices …", flush=True)
    make_corpus(corpus, 1, args.slices)
    data = HERE / ".data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DATABASE}",
        "REDIS_URL": "redis://127.0.0.1:6379/2",
        "RAYPORT_DATA_DIR": str(data),
        "RAYPORT_DEBUG": "false",
        "RAYPORT_LOG_LEVEL": "warning",
    }
    fresh_database(DATABASE)
    subprocess_run([PYTHON, "manage.py", "migrate", "-v0"], env)
    django_env = {**env, "DJANGO_SETTINGS_MODULE": "portal.settings", "PYTHONPATH": str(ROOT)}
    runner = "import sys, runpy, django; django.setup(); sys.argv[:] = sys.argv[1:]; runpy.run_path(sys.argv[0])"
    (data / "load.py").write_text(_LOAD)
    (data / "order.py").write_text(_ORDER)
    print("ingest …", flush=True)
    subprocess_run(
        [PYTHON, "-c", runner, str(data / "load.py"), PASSWORD, str(corpus), str(data / "staging")], django_env
    )
    import subprocess

    order = subprocess.run(
        [PYTHON, "-c", runner, str(data / "order.py")],
        cwd=ROOT,
        env=django_env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    root = f"http://127.0.0.1:{args.port}"
    command = [
        PYTHON, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{args.port}", "-k", "gthread",
        "-w", "1", "--threads", "2", "--timeout", "600",
    ]  # fmt: skip
    with running(command, env, data / "gunicorn.log") as server:
        wait_http(f"{root}/accounts/login/")
        worker = _worker_pid(server.pid)
        client = _client(root)
        client.get(f"{root}/orders/")  # warm the worker up (imports, templates)
        before = _kib(worker, "VmRSS")
        rates = []
        kept = b""
        for round_ in range(1, args.rounds + 1):
            started = time.perf_counter()
            first = None
            size = 0
            pieces = []
            with client.stream("GET", f"{root}/orders/{order}/download/") as response:
                response.raise_for_status()
                for piece in response.iter_bytes():
                    if first is None:
                        first = time.perf_counter() - started
                    size += len(piece)
                    if round_ == args.rounds:
                        pieces.append(piece)
            seconds = time.perf_counter() - started
            rates.append(size / 1e6 / seconds)
            print(
                f"round {round_}: {size / 1e6:.1f} MB in {seconds:.2f} s = {rates[-1]:.0f} MB/s, "
                f"first byte after {1000 * (first or 0):.0f} ms, worker RSS now {_kib(worker, 'VmRSS') / 1024:.0f} MiB",
                flush=True,
            )
            kept = b"".join(pieces)
        peak = _kib(worker, "VmHWM")
        client.close()
    _check(kept, args.slices)
    rates.sort()
    print(
        f"\n{args.slices} slices, {len(kept) / 1e6:.1f} MB archive: median {rates[len(rates) // 2]:.0f} MB/s "
        f"(best {rates[-1]:.0f}); web worker RSS {before / 1024:.0f} MiB before, peak {peak / 1024:.0f} MiB; "
        "archive checked (CRCs, DICOMDIR finds every slice)"
    )


if __name__ == "__main__":
    main()
