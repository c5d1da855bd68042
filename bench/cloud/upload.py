"""Uploads through the cloud backend: ``CloudBackend.upload_dicom`` (STOW-RS to a live Rayport)
against ``LocalBackend.upload_dicom`` on the same corpus, in one run.

    .venv/bin/python bench/cloud/upload.py --files 100      # --help for the options

1. A fresh PostgreSQL database (``--database``), a staff user, an administrator whose API key
   the cloud backend uses, and one institution per measured upload (so every upload makes a
   new order, never a duplicate).
2. gunicorn on ``--port`` serving the portal on the local backend (STOW-RS stored in the
   request, ``RAYPORT_STOW_IN_REQUEST``).
3. **Measured**, in one Django process on the same database: ``upload_dicom(store_now=True)``
   of the corpus (``bench/ingest``'s CT slices, 512×512, 0.5 MB each) on the local backend,
   then on the cloud backend with ``--sizes`` files per STOW-RS request; wall time, files/s,
   MB/s, and this process's peak RSS growth (the files are streamed, never held).

``--anonymize`` makes every upload anonymized (the Basic Profile), and ``--before`` measures
each cloud upload twice, alternating, without and with read-ahead (``uploads.READ_AHEAD``:
the next request's files anonymized while the current one is sent), ``--rounds`` times.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.cloud.run import PASSWORD, PG, PYTHON, SECRET, gunicorn  # noqa: E402
from bench.dicomweb.run import subprocess_run  # noqa: E402
from bench.ingest.run import fresh_database, make_corpus, running, wait_http  # noqa: E402

HERE = Path(__file__).resolve().parent

_LOAD = """
import sys
from pathlib import Path
from django.contrib.auth import get_user_model
from postdicom import get_api
from postdicom.local.access import profile_of
users = get_user_model().objects
staff = users.create_user("bench", password=sys.argv[1])
profile = profile_of(staff); profile.role = "staff"; profile.save()
admin = users.create_user("bench-admin", password=sys.argv[1])
profile = profile_of(admin); profile.role = "administrator"; profile.save()
_key, secret = get_api().create_api_key(actor=admin, name="cloud bench", user_id=profile_of(admin).uuid)
Path(sys.argv[2]).write_text(secret)
"""

_MEASURE = """
import json, resource, shutil, sys, time
from pathlib import Path
from django.contrib.auth import get_user_model
from postdicom.cloud import CloudBackend, stow, uploads
from postdicom.local import LocalBackend
from postdicom.local.access import profile_of
from postdicom.local.models import Institution
from postdicom.types import Anonymization, UploadFile, UploadOutcome
corpus, work, base, key = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
sizes = [int(s) for s in sys.argv[5].split(",")]
anonymize = Anonymization(basic_profile=True) if sys.argv[6] == "1" else None
before, rounds = sys.argv[7] == "1", int(sys.argv[8])
staff = get_user_model().objects.get(username="bench")
files = sorted(corpus.glob("ct_*.dcm"))
megabytes = sum(f.stat().st_size for f in files) / 1e6

def handed(label):
    folder = work / label
    shutil.rmtree(folder, ignore_errors=True); folder.mkdir(parents=True)
    out = []
    for f in files:
        shutil.copyfile(f, folder / f.name)
        out.append(UploadFile(name=f.name, path=str(folder / f.name), size=f.stat().st_size))
    return out

def measure(label, api, size=None):
    clinic = Institution.objects.create(name=f"Bench {label} {time.time()}")
    profile_of(staff).institutions.add(clinic)
    if size is not None:
        stow.MAX_FILES, stow.MAX_BYTES = size, 1 << 40  # the file count alone bounds a request
    given = handed(label)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    receipt = api.upload_dicom(
        actor=staff, institution_id=clinic.uuid, files=given, store_now=True, anonymize=anonymize
    )
    seconds = time.perf_counter() - started
    grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss
    stored = sum(f.outcome is UploadOutcome.STORED for f in receipt.files)
    assert stored == len(files), (label, [f.reason for f in receipt.files if f.outcome is not UploadOutcome.STORED][:3])
    result = {"label": label, "seconds": seconds, "files": len(files), "mb": megabytes, "rss_mb": grew / 1024}
    print(json.dumps(result), flush=True)

measure("local", LocalBackend())
cloud = CloudBackend(base_url=base, api_key=key)
for round in range(rounds):
    for size in sizes:
        for ahead in ((False, True) if before else (True,)):
            uploads.READ_AHEAD = ahead
            measure(f"cloud-{size}{'' if ahead else '-before'}", cloud, size)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="rayport_cloud_upload_h4")
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--sizes", default="5,25,100", help="files per STOW-RS request, one run each")
    parser.add_argument("--port", type=int, default=14100)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/4")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--anonymize", action="store_true", help="anonymize every upload (Basic Profile)")
    parser.add_argument("--before", action="store_true", help="each cloud upload without read-ahead too")
    parser.add_argument("--rounds", type=int, default=1, help="times each cloud upload is measured")
    args = parser.parse_args()

    corpus = make_corpus(HERE / ".corpus", args.files)
    data = HERE / ".data-upload"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{args.database}",
        "REDIS_URL": args.redis,
        "RAYPORT_DATA_DIR": str(data),
        "RAYPORT_SECRET_KEY": SECRET,
        "RAYPORT_DEBUG": "false",
        "RAYPORT_LOG_LEVEL": "warning",
    }
    fresh_database(args.database)
    subprocess_run([PYTHON, "manage.py", "migrate", "-v0"], env)
    script, key_file, measure = data / "load.py", data / "api-key", data / "measure.py"
    script.write_text(_LOAD)
    measure.write_text(_MEASURE)
    runner = "import sys, runpy, django; django.setup(); sys.argv[:] = sys.argv[1:]; runpy.run_path(sys.argv[0])"
    django_env = {**env, "DJANGO_SETTINGS_MODULE": "portal.settings", "PYTHONPATH": str(ROOT)}
    subprocess_run([PYTHON, "-c", runner, str(script), PASSWORD, str(key_file)], django_env)
    root = f"http://127.0.0.1:{args.port}"
    print(f"corpus: {len(corpus)} files; load average {os.getloadavg()[0]:.1f}", flush=True)
    with running(gunicorn(args.port, args.web_workers, args.web_threads), env, data / "server.log"):
        wait_http(f"{root}/accounts/login/")
        command = [PYTHON, "-c", runner, str(measure), str(HERE / ".corpus"), str(data / "work"), f"{root}/dicomweb/"]
        flags = ["1" if args.anonymize else "0", "1" if args.before else "0", str(args.rounds)]
        subprocess_run([*command, key_file.read_text(), args.sizes, *flags], django_env)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
