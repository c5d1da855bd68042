"""Serve the portal with a Celery worker (and beat) beside it; Ctrl-C stops all of them.

The children are supervised (``portal.supervise``): a worker or web server that dies (the
broker went away and the worker gave up, an out-of-memory kill…) is started again. Each child
runs in its own process group, so a terminal's Ctrl-C reaches only this command; SIGINT,
SIGTERM and SIGHUP (the terminal closed) all stop every child's whole group, and no worker
is left running on its own."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from portal.supervise import Child, Supervisor


class Command(BaseCommand):
    help = "Run the web server and a Celery worker with embedded beat until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port to serve on")

    def handle(self, *args: Any, **options: Any) -> None:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        for folder in ("broker", "broker/processed"):
            (settings.DATA_DIR / folder).mkdir(parents=True, exist_ok=True)
        python = sys.executable
        env = os.environ.copy()
        worker = Child(
            "worker",
            [
                python,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--beat",
                "--loglevel",
                "info",
                "--concurrency",
                "2",
                "--schedule",
                str(settings.CELERY_BEAT_SCHEDULE_FILENAME),
            ],
            env,
        )
        web = Child("web", [python, "manage.py", "runserver", options["addr"], "--noreload"], env)
        supervisor = Supervisor([worker, web])
        stop_on_signals(supervisor)
        broker = "Redis" if settings.REDIS_URL else "a local folder (no Redis needed)"
        self.stdout.write(f"Rayport: http://{options['addr']}/  · Celery broker: {broker}. Ctrl-C stops.")
        supervisor.run()


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def stop_on_signals(supervisor: Supervisor) -> None:
    """Ctrl-C, ``kill`` and a closed terminal stop the supervisor, which stops its children's
    groups. A flag, not an exception: raised in the middle of starting or stopping a child,
    an exception could leave that child's group running."""

    def stop(signum: int, frame: object) -> None:
        supervisor.stop()

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)
