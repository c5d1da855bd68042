"""The cloud upload sweep (``resume_cloud_uploads``'s ``manifest.pending_batches``) with many
finished batches on disk, before and after its index of unfinished batches, in one run.

    .venv/bin/python bench/cloud/sweep.py --finished 5000 --files 200    # --help for the options

1. In a scratch ``RAYPORT_UPLOAD_DIR`` (``--dir``, emptied first): ``--finished`` batches done
   and reported (``--files`` file entries each, as a CD's report keeps them) and
   ``--unfinished`` batches with a file still to send, written by ``manifest``'s own code.
2. **Measured**, alternating ``--rounds`` times: the sweep as it was (every manifest read:
   ``scan_every_manifest``, the code before the index) and as it is (the ``.pending`` index), warm page
   cache; each must find the same batches. Wall ms per sweep, median and best.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from postdicom.cloud import manifest  # noqa: E402
from postdicom.types import UploadOutcome, UploadState  # noqa: E402


def scan_every_manifest() -> list[str]:
    """The sweep before the index (``pending_batches`` up to branch cloudfix): every
    manifest read."""
    base = manifest.root()
    found = []
    for child in base.iterdir():
        batch = manifest.read(child.name) if child.is_dir() and not child.name.startswith(".") else None
        if batch is not None and batch.has_work:
            found.append(batch.id)
    return found


def _make(finished: bool, files: int) -> None:
    batch = manifest.Manifest(
        id=str(uuid.uuid4()),
        username="bench",
        created_by="Bench User",
        created_at=dt.datetime.now(dt.UTC).isoformat(),
        institution_id=str(uuid.uuid4()),
        institution_name="Clínica Central",
        state=UploadState.DONE.value if finished else UploadState.QUEUED.value,
        filed=finished,
    )
    for number in range(files):
        entry = manifest.new_entry(f"CD/DICOM/IM{number:05d}", 526_000)
        if finished:
            entry.outcome, entry.study_uid, entry.order_id = UploadOutcome.STORED.value, "1.2.3", str(uuid.uuid4())
        batch.files.append(entry)
    manifest.create(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/rayport-sweep-bench"))
    parser.add_argument("--finished", type=int, default=5000)
    parser.add_argument("--unfinished", type=int, default=3)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    settings.RAYPORT_UPLOAD_DIR = args.dir
    started = time.perf_counter()
    for number in range(args.finished + args.unfinished):
        _make(number >= args.unfinished, args.files)
    size = sum(p.stat().st_size for p in manifest.root().glob("*/manifest.json"))
    print(f"made {args.finished} finished + {args.unfinished} unfinished batches of {args.files} files")
    print(f"  manifests: {size / 1e6:.1f} MB, in {time.perf_counter() - started:.1f} s")
    manifest.pending_batches()  # the index is built by the writes above; this only checks it
    timings: dict[str, list[float]] = {"before": [], "after": []}
    for _round in range(args.rounds):
        for name, sweep in (("before", scan_every_manifest), ("after", manifest.pending_batches)):
            begun = time.perf_counter()
            found = sweep()
            timings[name].append((time.perf_counter() - begun) * 1000)
            assert len(found) == args.unfinished, (name, len(found))
    for name, values in timings.items():
        print(f"{name:>6}: median {statistics.median(values):9.2f} ms  best {min(values):9.2f} ms")
    ratio = statistics.median(timings["after"]) / statistics.median(timings["before"])
    print(f"after / before (medians): {ratio:.5f}")
    print("load average:", Path("/proc/loadavg").read_text().strip())
    shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
