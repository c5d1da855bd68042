"""What the batch's shared lock (``portal.staging.disk.writing``, stagefix) adds to an upload
request's own file work: a 31-part request (31 files of 500 KB, the corpus' CT slices) opened,
locked, appended and closed file by file as ``write_chunks`` does, without and with the batch
lock around it, interleaved round by round in one run (the same load for both).

    .venv/bin/python bench/ingest/batchlock.py [--parts 31] [--size-kb 500] [--rounds 200]

Works in a temporary folder (``--dir`` to choose the disk, e.g. the staging's); no database.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from postdicom import filelocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", type=int, default=31)
    parser.add_argument("--size-kb", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(dir=args.dir))
    piece = b"\x07" * (args.size_kb * 1024)

    def request() -> None:
        names = [folder / str(uuid.uuid4()) for _ in range(args.parts)]
        for path in names:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            assert os.fstat(fd).st_size == 0
            os.lseek(fd, 0, os.SEEK_END)
            os.write(fd, piece)
            os.close(fd)
        for path in names:
            path.unlink()  # the hand-over moves them away

    def locked_request() -> None:
        with filelocks.shared(folder / ".lock") as locked:
            assert locked
            request()

    def lock_alone() -> None:
        with filelocks.shared(folder / ".lock"):
            pass

    times: dict[str, list[float]] = {"request": [], "request + batch lock": [], "batch lock alone": []}
    ways = [("request", request), ("request + batch lock", locked_request), ("batch lock alone", lock_alone)]
    try:
        for _ in range(args.rounds):
            for name, way in ways:
                started = time.perf_counter()
                way()
                times[name].append(time.perf_counter() - started)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    with open("/proc/loadavg") as load:
        print(f"load average: {load.read().split()[0]}; {args.parts} parts of {args.size_kb} KB, {args.rounds} rounds")
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    for name, median in medians.items():
        print(f"{name:>22}: median {median:8.3f} ms")
    ratio = medians["request + batch lock"] / medians["request"]
    print(f"with ÷ without the batch lock: {ratio:.3f}")


if __name__ == "__main__":
    main()
