"""The image viewer's speed on a big CT: from the click on "View images" to the first image
on screen, and until the whole stack is loaded (scrollable without waiting), in headless
Chromium against the portal served by gunicorn.

    .venv/bin/python bench/viewer/run.py            # --help for the options

1. **Corpus** (made once, under ``bench/viewer/.corpus``): one CT series of ``--slices`` (500)
   uncompressed 512×512 16-bit slices (about 260 MB), the phantom of ``tests/e2e/volume.py``.
2. **Portal**: a fresh PostgreSQL database (``rayport_viewer_bench``), the corpus uploaded
   through ``upload_dicom`` and ingested in-process, then gunicorn (gthread, ``--web-workers``
   × ``--web-threads``) on 127.0.0.1:``--port``.
3. **Measured** in ``--rounds`` (3) rounds, each in a fresh browser context (nothing cached):
   sign in, open the order page, click "View images", then
   * *first image*: until the first viewport has rendered an image and its canvas has pixels;
   * *whole stack*: until every slice of the series is decoded in the viewer's cache.
   The median of the rounds is printed (targets: 1 s and 5 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
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


def one_round(browser, root: str, order: str, timeout: float) -> tuple[float, float]:
    context = browser.new_context(base_url=root, viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "bench")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(order)
    start = time.monotonic()
    page.get_by_role("link", name="View images").first.click()
    page.wait_for_selector('[data-slot="0"][data-rendered="1"]', timeout=timeout * 1000)
    page.wait_for_function(PIXELS, timeout=timeout * 1000, polling="raf")
    first = time.monotonic() - start
    page.wait_for_function(
        """() => { const v = document.querySelector('[data-viewer]').viewer;
                   const c = v && v.loadedCount(0); return c && c.total > 0 && c.loaded === c.total; }""",
        timeout=timeout * 1000,
        polling=50,
    )
    whole = time.monotonic() - start
    context.close()
    return first, whole


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
    args = parser.parse_args()

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
    root = f"http://127.0.0.1:{args.port}"
    command = [
        PYTHON, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{args.port}", "-k", "gthread",
        "-w", str(args.web_workers), "--threads", str(args.web_threads), "--timeout", "600",
        "--no-control-socket",  # gunicorn 27 shares one control socket per user otherwise
    ]  # fmt: skip
    from playwright.sync_api import sync_playwright

    with running(command, env, data / "gunicorn.log"), sync_playwright() as playwright:
        wait_http(f"{root}/accounts/login/")
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        results = []
        for n in range(args.rounds):
            first, whole = one_round(browser, root, order, args.timeout)
            print(f"round {n + 1}: first image {first:.2f} s, whole stack {whole:.2f} s", flush=True)
            results.append((first, whole))
        browser.close()
    first = statistics.median(r[0] for r in results)
    whole = statistics.median(r[1] for r in results)
    print(f"\n{args.slices}-slice CT, median of {args.rounds}:")
    print(f"  click → first image on screen: {first:.2f} s (target ≤ 1 s)")
    print(f"  click → whole stack loaded:    {whole:.2f} s (target ≤ 5 s)")


if __name__ == "__main__":
    main()
