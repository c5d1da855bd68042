"""Per-request bookkeeping of a 31-part upload request, the two ways portal.staging could keep
the bytes received (docs/decisions.md, "The browser's resumable upload is the portal's own
staging"):

* a counter in the database, moved by one compare-and-set ``UPDATE … FROM (VALUES …)`` in a
  transaction with ``synchronous_commit off`` (what the chunk protocol did before), against
* the size on disk under a per-file lock (open, ``flock``, ``fstat``, close: what it does now).

    .venv/bin/python bench/ingest/bookkeeping.py --database postgres://postgres@127.0.0.1:5432/rayport

Makes and drops a table ``bench_counter`` in that database and a temporary folder.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable

import psycopg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/rayport")
    parser.add_argument("--parts", type=int, default=31)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    n = args.parts
    conn = psycopg.connect(args.database, autocommit=True)
    conn.execute("DROP TABLE IF EXISTS bench_counter")
    conn.execute("CREATE TABLE bench_counter (id uuid primary key, received bigint, state varchar(10))")
    ids = [uuid.uuid4() for _ in range(n)]
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO bench_counter VALUES (%s, 0, 'receiving')", [(i,) for i in ids])
    values = ", ".join(["(%s::uuid, %s::bigint, %s::bigint, %s)"] * n)
    sql = (
        f"UPDATE bench_counter SET received = v.new, state = v.state FROM (VALUES {values}) AS v(id, old, new, state) "  # noqa: S608
        "WHERE bench_counter.id = v.id AND bench_counter.received = v.old AND bench_counter.state = 'receiving' "
        "RETURNING bench_counter.id"
    )

    def counter(k: int) -> None:
        params: list[object] = []
        for i in ids:
            params += [i, k, k + 1, "receiving"]
        with conn.transaction():
            conn.execute("SET LOCAL synchronous_commit TO OFF")
            assert len(conn.execute(sql, params).fetchall()) == n

    folder = tempfile.mkdtemp()
    paths = [os.path.join(folder, str(i)) for i in ids]
    for path in paths:
        open(path, "wb").close()

    def sizes(_k: int) -> None:
        for path in paths:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            stat = os.fstat(fd)
            assert stat.st_nlink
            assert stat.st_size == 0
            os.close(fd)

    ways: list[tuple[str, Callable[[int], None]]] = [("db counter", counter), ("disk size", sizes)] * 2
    try:
        for name, way in ways:
            times = []
            for k in range(args.rounds):
                if way is counter:
                    conn.execute("UPDATE bench_counter SET received = %s", [k])
                started = time.perf_counter()
                way(k)
                times.append(time.perf_counter() - started)
            p90 = sorted(times)[int(args.rounds * 0.9)]
            print(
                f"{name:11} median {statistics.median(times) * 1e3:.3f} ms, p90 {p90 * 1e3:.3f} ms per request of {n}"
            )
    finally:
        conn.execute("DROP TABLE bench_counter")
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
