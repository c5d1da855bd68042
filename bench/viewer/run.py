"""The image viewer's speed on a big CT: from the click on "View images" to the first pixels
of an image on screen, to the first image the viewer can be used on, and until the whole stack
is loaded (scrollable without waiting), in headless Chromium against the portal served by
gunicorn.

    .venv/bin/python bench/viewer/run.py            # --help for the options
    .venv/bin/python bench/viewer/run.py --before /tmp/main   # A/B against a checkout of main

1. **Corpus** (made once, under ``bench/viewer/.corpus``): one CT series of ``--slices`` (500)
   uncompressed 512×512 16-bit slices (about 260 MB), the phantom of ``tests/e2e/volume.py``.
2. **Portal**: a fresh PostgreSQL database (``rayport_viewer_bench``), the corpus uploaded
   through ``upload_dicom`` and ingested in-process, then gunicorn (gthread, ``--web-workers``
   × ``--web-threads``) on 127.0.0.1:``--port``.
3. **Measured** in ``--rounds`` (3) rounds, each in a fresh browser context (nothing cached):
   sign in, open the order page, click "View images", then
   * *first pixels*: until the first viewport shows an image: early.js's preview (the server's
     rendering) or the viewer's canvas, whichever comes first;
   * *interactive*: until the first viewport has rendered an image and its canvas has pixels;
   * *whole stack*: until every slice of the series is decoded in the viewer's cache.
   The median of the rounds is printed (targets: first image 1 s, whole stack 5 s).
4. **A/B** with ``--before DIR`` (a checkout of another commit, e.g. ``git archive main | tar -x
   -C DIR``): a second gunicorn serves DIR's code on ``--port`` + 1 from the same database and
   files; each is warmed by one unmeasured round per web worker, then the rounds alternate
   (after, before / before, after / ...), so that both meet the same load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.dicomweb.run import _LOAD, subprocess_run  # noqa: E402
from bench.ingest.run import fresh_database, running, wait_http  # noqa: E402

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
PG = "postgres://postgres@127.0.0.1:5432"
PASSWORD = "bench-password-4711"  # a throwaway user in a throwaway database
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: What the first viewport shows: "preview" (early.js's picture, loaded), "canvas" (the viewer's
#: own image, drawn), or nothing yet.
FIRST_PIXELS = """() => {
  const slot = document.querySelector('[data-slot="0"]');
  if (!slot) return null;
  const preview = slot.querySelector('img[data-preview]');
  if (preview && preview.complete && preview.naturalWidth > 0) return 'preview';
  if (slot.dataset.rendered !== '1') return null;
  const canvas = slot.querySelector('canvas');
  if (!canvas || !canvas.width) return null;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 0; i < data.length; i += 4) if (data[i] > 8) return 'canvas';
  return null;
}"""
PIXELS = """() => {
  const canvas = document.querySelector('[data-slot="0"] canvas');
  if (!canvas || !canvas.width) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let lit = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] > 8) lit += 1;
  return lit;
}"""


def corpus(slices: int) -> Path:
    from tests.e2e.volume import write_ct_volume

    folder = HERE / ".corpus" / f"ct-{slices}"
    if len(list(folder.glob("*.dcm"))) != slices:
        shutil.rmtree(folder, ignore_errors=True)
        print(f"Writing {slices} slices of 512×512 into {folder}…", flush=True)
        write_ct_volume(folder, slices=slices, size=512, patient_id="BENCH-1", description="CT bench")
    return folder


def prepare(env: dict[str, str], folder: Path, data: Path, database: str) -> None:
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    fresh_database(database)
    subprocess_run([PYTHON, "manage.py", "migrate", "-v0"], env)
    script = data / "load.py"
    script.write_text(_LOAD)
    runner = "import sys, runpy, django; django.setup(); sys.argv[:] = sys.argv[1:]; runpy.run_path(sys.argv[0])"
    print("Uploading and ingesting the corpus…", flush=True)
    subprocess_run(
        [PYTHON, "-c", runner, str(script), PASSWORD, str(folder), str(data / "staging")],
        {**env, "DJANGO_SETTINGS_MODULE": "portal.settings", "PYTHONPATH": str(ROOT)},
    )


def order_url(env: dict[str, str]) -> str:
    code = (
        "import django; django.setup();"
        "from postdicom.local.models import PatientOrder;"
        "print(PatientOrder.objects.get(patient_id='BENCH-1').uuid)"
    )
    import subprocess

    out = subprocess.run(
        [PYTHON, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        check=True,
        capture_output=True,
        text=True,
    )
    return f"/orders/{out.stdout.strip()}/"


def one_round(
    browser, root: str, order: str, timeout: float, link: tuple[float, float] | None = None
) -> tuple[float, float, float, str]:
    """One look at the order in a fresh context: (first pixels, interactive, whole stack, what
    showed the first pixels). ``link``: (Mbit/s, ms of latency) the page's requests are held
    to (Chromium's network emulation); the whole stack is then not waited for (NaN)."""
    context = browser.new_context(base_url=root, viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    if link is not None:
        rate = link[0] * 1e6 / 8  # bytes a second
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": link[1], "downloadThroughput": rate, "uploadThroughput": rate},
        )
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "bench")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(order)
    start = time.monotonic()
    page.get_by_role("link", name="View images").first.click()
    shown = page.wait_for_function(FIRST_PIXELS, timeout=timeout * 1000, polling="raf").json_value()
    pixels = time.monotonic() - start
    page.wait_for_selector('[data-slot="0"][data-rendered="1"]', timeout=timeout * 1000)
    page.wait_for_function(PIXELS, timeout=timeout * 1000, polling="raf")
    first = time.monotonic() - start
    if link is not None:
        context.close()
        return pixels, first, float("nan"), str(shown)
    page.wait_for_function(
        """() => { const v = document.querySelector('[data-viewer]').viewer;
                   const c = v && v.loadedCount(0); return c && c.total > 0 && c.loaded === c.total; }""",
        timeout=timeout * 1000,
        polling=50,
    )
    whole = time.monotonic() - start
    context.close()
    return pixels, first, whole, str(shown)


def gunicorn(port: int, args: argparse.Namespace, code: Path | None = None) -> list[str]:
    """The portal on ``port``; from the checkout ``code`` instead of this one when given."""
    chdir = ["--chdir", str(code)] if code else []
    return [
        PYTHON, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{port}", "-k", "gthread",
        "-w", str(args.web_workers), "--threads", str(args.web_threads), "--timeout", "600",
        "--no-control-socket",  # gunicorn 27 shares one control socket per user otherwise
        *chdir,
    ]  # fmt: skip


def report(name: str, slices: int, results: list[tuple[float, float, float, str]]) -> None:
    pixels = statistics.median(r[0] for r in results)
    first = statistics.median(r[1] for r in results)
    whole = statistics.median(r[2] for r in results)
    previews = sum(r[3] == "preview" for r in results)
    print(f"\n{name}{slices}-slice CT, median of {len(results)} (preview first in {previews}):")
    print(f"  click → first pixels on screen:      {pixels:.2f} s (target ≤ 1 s)")
    print(f"  click → first interactive image:     {first:.2f} s")
    print(f"  click → whole stack loaded:          {whole:.2f} s (target ≤ 5 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slices", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=11500)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument(
        "--database", default="rayport_viewer_bench", help="PostgreSQL database (dropped and made again)"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--reuse", action="store_true", help="keep the database and files of the last run")
    parser.add_argument("--before", type=Path, help="a checkout to compare with, served on --port + 1 (A/B)")
    parser.add_argument(
        "--link",
        default="",
        help="MBIT:MS: hold the browser's requests to a link of MBIT Mbit/s and MS ms of latency "
        "(a clinician at home); the whole stack is then not waited for",
    )
    args = parser.parse_args()
    link: tuple[float, float] | None = None
    if args.link:
        mbit, latency = args.link.split(":")
        link = (float(mbit), float(latency))

    folder = corpus(args.slices)
    data = HERE / ".data"
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{args.database}",
        "REDIS_URL": args.redis,
        "RAYPORT_DATA_DIR": str(data),
        "RAYPORT_DEBUG": "false",
        "RAYPORT_LOG_LEVEL": "warning",
    }
    if not args.reuse:
        prepare(env, folder, data, args.database)
    order = order_url(env)
    # name → (its root URL, the checkout it serves); "before" on the next port, same database.
    servers = {"after": (f"http://127.0.0.1:{args.port}", ROOT)}
    if args.before:
        servers["before"] = (f"http://127.0.0.1:{args.port + 1}", args.before.resolve())
    from playwright.sync_api import sync_playwright

    with ExitStack() as stack:
        for name, (root, code) in servers.items():
            command = gunicorn(int(root.rsplit(":", 1)[1]), args, None if code == ROOT else code)
            log = data / f"gunicorn-{name}.log"
            stack.enter_context(running(command, env, log))  # --chdir puts the checkout first on sys.path
        playwright = stack.enter_context(sync_playwright())
        for root, _ in servers.values():
            wait_http(f"{root}/accounts/login/")
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        results: dict[str, list[tuple[float, float, float, str]]] = {name: [] for name in servers}
        names = list(servers)
        if args.before:
            # Warm-up: a gunicorn worker's first requests of a kind import and warm what they use
            # (the rendering's PIL and numpy paths, say), so one unmeasured round per worker.
            for _ in range(args.web_workers):
                for name in names:
                    one_round(browser, servers[name][0], order, args.timeout, link)
        for n in range(args.rounds):
            for name in names if n % 2 == 0 else names[::-1]:
                result = one_round(browser, servers[name][0], order, args.timeout, link)
                pixels, first, whole, shown = result
                print(
                    f"round {n + 1} {name}: first pixels {pixels:.2f} s ({shown}), interactive {first:.2f} s, "
                    f"whole stack {whole:.2f} s · load {_load()}",
                    flush=True,
                )
                results[name].append(result)
        browser.close()
    for name in reversed(names):
        report(f"{name}: " if args.before else "", args.slices, results[name])


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
