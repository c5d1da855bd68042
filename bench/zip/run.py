"""ZIP ingest: a ZIP of many tiny DICOM entries against the same number of loose files.

    .venv/bin/python bench/zip/run.py --entries 10000     # --help for the options

1. A fresh PostgreSQL database (``--database``, dropped and migrated), a Redis server of its own
   (``redis-server`` on ``--redis-port``, no persistence) and one Celery worker
   (``--concurrency``) on them, with a data folder under ``bench/zip/.data`` (deleted after).
2. ``--entries`` tiny CT images (4×4 pixels, one study), made once into ``bench/zip/.corpus``.
3. **ZIP**: one archive of them, through ``upload_dicom``: timed from the call until the batch
   is done (the archive expanded, every entry stored and indexed).
4. **Files**: the same number of other images (new UIDs) as loose files through
   ``upload_dicom``, timed the same way.

Prints entries/s for each. Works on any revision that has ``upload_dicom`` (to measure a
before and after, run it from a worktree of each).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PG = "postgres://postgres@127.0.0.1:5432"
QUIET = ["--without-gossip", "--without-mingle", "--loglevel", "warning"]


def _wait_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def _corpus(count: int, name: str) -> list[Path]:
    sys.path.insert(0, str(ROOT))
    from tests.uploads.files import make_image

    folder = HERE / ".corpus" / f"{name}-{count}"
    if not folder.exists():
        study = f"2.25.{abs(hash(name)) % 10**12}"
        tmp = folder.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        for i in range(count):
            make_image(tmp / f"IM{i:06d}.dcm", study_uid=study, series_uid=f"{study}.1", sop_uid=f"{study}.1.{i + 1}")
        tmp.rename(folder)
    return sorted(folder.iterdir())


def _zip(paths: list[Path]) -> Path:
    target = HERE / ".corpus" / f"archive-{len(paths)}.zip"
    if not target.exists():
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in paths:
                bundle.write(path, f"CT/{path.name}")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--database", default="rayport_zip_bench")
    parser.add_argument("--redis-port", type=int, default=12380)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--skip-files", action="store_true", help="time the ZIP only")
    args = parser.parse_args()

    data = HERE / ".data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    database_url = f"{PG}/{args.database}"
    redis_url = f"redis://127.0.0.1:{args.redis_port}/0"
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "RAYPORT_DATA_DIR": str(data)}
    env["RAYPORT_LOG_LEVEL"] = "warning"
    os.environ.update(env)

    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", args.database], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", args.database], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    redis = subprocess.Popen(
        ["redis-server", "--port", str(args.redis_port), "--save", "", "--appendonly", "no", "--dir", str(data)],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_port(args.redis_port)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--concurrency", str(args.concurrency), *QUIET],
        cwd=ROOT,
        env=env,
        stdout=open(data / "worker.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        import django

        django.setup()
        from django.contrib.auth import get_user_model

        from postdicom import get_api
        from postdicom.local.access import profile_of
        from postdicom.local.models import Institution, UploadBatch
        from postdicom.types import UploadFile

        clinic = Institution.objects.create(name="Bench")
        user = get_user_model().objects.create_user("bench", password="bench-password-4711")
        profile = profile_of(user)
        profile.role = "staff"
        profile.save(update_fields=["role"])
        profile.institutions.set([clinic])
        time.sleep(3)  # the worker's start-up

        def timed(label: str, paths: list[Path], entries: int) -> None:
            staging = data / "staging" / label
            staging.mkdir(parents=True)
            files = []
            for path in paths:
                copy = staging / path.name
                shutil.copyfile(path, copy)
                files.append(UploadFile(name=path.name, path=str(copy), size=copy.stat().st_size))
            start = time.monotonic()
            receipt = get_api().upload_dicom(actor=user, institution_id=clinic.uuid, files=files)
            while UploadBatch.objects.get(uuid=receipt.batch_id).state != "done":
                time.sleep(0.2)
            seconds = time.monotonic() - start
            print(f"{label:>6}: {entries} images in {seconds:6.1f} s = {entries / seconds:6.0f} images/s")

        archive_images = _corpus(args.entries, "zip")
        timed("zip", [_zip(archive_images)], args.entries)
        if not args.skip_files:
            timed("files", _corpus(args.entries, "files"), args.entries)
    finally:
        for process in (worker, redis):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
