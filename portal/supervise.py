"""Keeping child processes alive: what ``manage.py runportal`` does for its web server and its
Celery worker (with beat). A child that dies is started again, after a pause that grows
while it keeps dying (1 s, 2 s, 4 s … at most 30 s) and resets once it has run for a minute;
stopping the supervisor stops every child (SIGTERM, then SIGKILL after a grace period).
In production systemd does this job (docs/deployment.md).

Each child leads its own process group, and it is the whole group that is signalled: a Celery
worker's pool processes (and whatever a child started) stop with it. Signalling only the
leader left the pool behind when the leader died first or was killed, an orphan worker still
taking tasks from the broker.
"""

from __future__ import annotations

import contextlib
import logging
import os
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
        # The commands are runportal's own (this Python, fixed arguments). process_group=0:
        # the child leads a new group (its id is the child's pid) that signal_group reaches.
        self.process = subprocess.Popen(  # noqa: S603
            list(self.command), env=dict(self.env) if self.env else None, process_group=0
        )
        self.started_at = time.monotonic()

    def signal_group(self, signum: int) -> bool:
        """Send ``signum`` to every process of the child's group; False when none is left."""
        if self.process is None:
            return False
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            return False
        return True

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
                # What the dead leader started goes too, before a new one is started beside it.
                child.signal_group(signal.SIGKILL)
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

    def _stop_all(self, grace: float = 10.0) -> None:
        """SIGTERM to every child's group; SIGKILL to what is left of them after ``grace``."""
        running = [c for c in self.children if c.signal_group(signal.SIGTERM)]
        deadline = time.monotonic() + grace
        for child in running:
            assert child.process is not None
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(max(0.1, deadline - time.monotonic()))
            # Whatever of the group outlived its leader (or the grace) is swept: a Celery worker
            # waits for its pool before it exits, so nothing it still needs is left by then.
            child.signal_group(signal.SIGKILL)
            child.process.wait()
