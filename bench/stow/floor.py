"""The floor of a STOW-RS request on this stack: what gunicorn alone, and Django with no
middleware, answer when each request only reads its body into a file, with the bench's
clients (``run.py``'s 5, one 0.5 MB instance a request, the corpus' 500 files).

    .venv/bin/python bench/stow/floor.py --rounds 2

Both servers are gunicorn ``gthread`` with ``run.py``'s defaults (2 workers × 4 threads).
Compare with ``run.py --forms one``: what Orthanc and Rayport answer while storing
(docs/decisions.md, "STOW-RS round 9").
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.dicomweb.run import make_corpus  # noqa: E402
from bench.ingest.run import in_threads, running, wait_http  # noqa: E402
from bench.stow.run import BOUNDARY, body_of  # noqa: E402

_SPOOL = tempfile.gettempdir()


def _spool(stream: Any, length: int) -> None:
    """The body into a file (as any STOW must keep it), then gone."""
    fd, name = tempfile.mkstemp(dir=_SPOOL, prefix="floor-")
    with os.fdopen(fd, "wb") as out:
        left = length
        while left:
            chunk = stream.read(min(left, 1 << 20))
            if not chunk:
                break
            out.write(chunk)
            left -= len(chunk)
    os.remove(name)


def bare(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """gunicorn alone: a WSGI app."""
    _spool(environ["wsgi.input"], int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]


def django_app() -> Any:
    """Django with one view and no middleware (run in the gunicorn process: ``floor:django``)."""
    import django
    from django.conf import settings

    settings.configure(DEBUG=False, ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__, MIDDLEWARE=[], SECRET_KEY="floor" * 10)
    django.setup()
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def _view(request: Any) -> Any:
    from django.http import HttpResponse

    _spool(request, int(request.META.get("CONTENT_LENGTH") or 0))
    return HttpResponse(b"{}", content_type="application/json")


def __getattr__(name: str) -> Any:
    """``urlpatterns`` (Django's URL conf is this module) and ``django`` (gunicorn's app),
    made when asked: importing this module for ``bare`` sets up no Django."""
    if name == "urlpatterns":
        from django.urls import path

        return [path("studies", _view)]
    if name == "django":
        return django_app()
    raise AttributeError(name)


def send(url: str, bodies: list[bytes], clients: int) -> float:
    """Requests a second for ``bodies`` POSTed by ``clients`` threads (keep-alive, as run.py)."""
    headers = {"Content-Type": f'multipart/related; type="application/dicom"; boundary={BOUNDARY}'}

    def work(n: int) -> None:
        with httpx.Client(timeout=60) as client:
            for body in bodies[n::clients]:
                response = client.post(url, content=body, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code} {response.text[:200]}")

    started = time.perf_counter()
    in_threads(work, clients)
    return len(bodies) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--port", type=int, default=16000)
    args = parser.parse_args()
    corpus = make_corpus(ROOT / "bench" / "dicomweb" / ".corpus", 20, 25)
    bodies = [body_of([item.path.read_bytes()]) for item in corpus]
    logs = Path(tempfile.mkdtemp(prefix="stow-floor-"))
    for n, app in enumerate(("bench.stow.floor:bare", "bench.stow.floor:django")):
        port = args.port + n
        command = [
            sys.executable, "-m", "gunicorn", app, "-b", f"127.0.0.1:{port}", "-k", "gthread",
            "-w", "2", "--threads", "4", "--no-control-socket",
        ]  # fmt: skip
        with running(command, dict(os.environ), logs / f"{n}.log"):
            wait_http(f"http://127.0.0.1:{port}/")
            send(f"http://127.0.0.1:{port}/studies", bodies[: args.clients * 4], args.clients)  # warm-up
            rates = [send(f"http://127.0.0.1:{port}/studies", bodies, args.clients) for _ in range(args.rounds)]
        print(f"{app.rsplit(':', 1)[1]:8} " + "  ".join(f"{rate:6.0f} requests/s" for rate in rates))


if __name__ == "__main__":
    main()
