"""Serve the portal with a Celery worker (and beat) beside it; Ctrl-C stops all of them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the web server and a Celery worker with embedded beat until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port to serve on")

    def handle(self, *args: Any, **options: Any) -> None:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        for folder in ("broker", "broker/processed"):
            (settings.DATA_DIR / folder).mkdir(parents=True, exist_ok=True)
        python = sys.executable
        commands = [
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
            [python, "manage.py", "runserver", options["addr"], "--noreload"],
        ]
        children = [subprocess.Popen(command, env=os.environ.copy()) for command in commands]
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the children too, like Ctrl-C
        broker = "Redis" if settings.REDIS_URL else "a local folder (no Redis needed)"
        self.stdout.write(f"Rayport: http://{options['addr']}/  · Celery broker: {broker}. Ctrl-C stops.")
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.time() + 10
            for child in children:
                try:
                    child.wait(max(0.1, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    child.kill()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
