"""Keeping child processes alive: what ``manage.py runportal`` does for its web server and its
Celery worker (with beat). A child that dies is started again, after a pause that grows
while it keeps dying (1 s, 2 s, 4 s … at most 30 s) and resets once it has run for a minute;
stopping the supervisor stops every child (SIGTERM, then SIGKILL after a grace period).
In production systemd does this job (docs/deployment.md).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

#: A child that ran this long is healthy again: its next restart comes without delay.
HEALTHY_SECONDS = 60.0
MAX_PAUSE = 30.0


@dataclass
class Child:
    name: str
    command: Sequence[str]
    env: Mapping[str, str] | None = None
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float = 0.0
    restarts: int = field(default=0)

    def start(self) -> None:
        # The commands are runportal's own (this Python, fixed arguments).
        self.process = subprocess.Popen(list(self.command), env=dict(self.env) if self.env else None)  # noqa: S603
        self.started_at = time.monotonic()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def dead(self) -> bool:
        return self.process is None or self.process.poll() is not None


class Supervisor:
    def __init__(self, children: Sequence[Child], *, poll: float = 0.5) -> None:
        self.children = list(children)
        self.poll = poll
        self.stopping = threading.Event()

    def run(self) -> None:
        """Start the children and keep them running until ``stop`` (or KeyboardInterrupt)."""
        for child in self.children:
            child.start()
        try:
            while not self.stopping.wait(self.poll):
                self._check()
        finally:
            self._stop_all()

    def stop(self) -> None:
        self.stopping.set()

    def _check(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if not child.dead():
                continue
            if child.restart_at == 0.0:
                code = child.process.returncode if child.process is not None else None
                ran = now - child.started_at
                child.failures = 1 if ran >= HEALTHY_SECONDS else child.failures + 1
                pause = min(MAX_PAUSE, 2.0 ** (child.failures - 1))
                log.warning("%s stopped (exit code %s); starting it again in %.0f s.", child.name, code, pause)
                child.restart_at = now + pause
            elif now >= child.restart_at:
                child.restart_at = 0.0
                child.restarts += 1
                child.start()

    def _stop_all(self) -> None:
        running = [c for c in self.children if not c.dead()]
        for child in running:
            assert child.process is not None
            child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in running:
            assert child.process is not None
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
