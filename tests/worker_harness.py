"""A real Celery worker for the tests whose flow uses one: a subprocess on the test database
(``Worker``), and, for the tests that need an empty broker or stop it, a Redis server of the
test's own (``RedisServer``) that this process's Celery app sends to (``celery_broker``)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from kombu import pools as kombu_pools

from portal.celery import app as celery_app
from tests.missing import missing

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    """The test database, for another process: PostgreSQL's, or SQLite's file (a file, not
    memory, on SQLite: see ``django_db_modify_db_settings`` in tests/conftest.py)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait(condition: Callable[[], object], timeout: float, what: str, log: Path, step: float = 0.1) -> None:
    """Until ``condition()`` holds; past ``timeout`` seconds the test fails, showing the end
    of the worker's ``log``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(step)
    shown = log.read_text()[-6000:] if log.exists() else "(none)"
    pytest.fail(f"timed out waiting for {what}; worker log:\n{shown}")


class RedisServer:
    """``redis-server`` on a free port, keeping nothing on disk: a restart (``kill`` then
    ``start``, on the same port) loses every queued message, as a crash would."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            missing("the worker tests start a Redis server of their own: install redis-server (make services)")
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.folder)]
        log = self.folder / "redis.log"
        with open(log, "ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=out, start_new_session=True)
        wait(self._answers, 10, "the Redis server", log, step=0.05)

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
        except redis.ConnectionError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Point this process's Celery app (which sends the tasks) at ``url``, then back."""
    conf = celery_app.conf
    before = {"broker_url": conf.broker_url, "broker_transport_options": conf.broker_transport_options}
    app: Any = celery_app  # the connection pools are private: dropped so the next send connects anew

    def forget_connections() -> None:
        # kombu keeps its connection and producer pools per broker URL in module globals; closing
        # only the app's pool left the producer pool of the same URL pointing at it ("Acquire on
        # closed pool" for the next test that sends to that broker). Reset them all.
        kombu_pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    forget_connections()
    options = before["broker_transport_options"]  # the web process's options for Redis …
    if not django_settings.REDIS_URL:  # … unless they are a file broker's
        options = {"visibility_timeout": django_settings.CELERY_VISIBILITY_TIMEOUT}
    conf.update(broker_url=url, broker_transport_options=options)
    try:
        yield
    finally:
        forget_connections()
        conf.update(before)


class Worker:
    """``celery -A portal worker`` on the test database and ``broker``, with ``data`` as its
    data folder; its output goes to ``log``. The worker is configured by ``env`` and the test
    alone: the ``RAYPORT_`` variables of the shell that runs the tests are not passed on."""

    def __init__(self, data: Path, broker: str, concurrency: int = 2, env: dict[str, str] | None = None) -> None:
        self.data, self.broker, self.concurrency, self.env = data, broker, concurrency, env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data / "worker.log"

    def start(self) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("RAYPORT_")},
            "DATABASE_URL": database_url(),
            "REDIS_URL": self.broker,
            "RAYPORT_DATA_DIR": str(self.data),
            "RAYPORT_LOG_LEVEL": "info",
            **self.env,
        }
        command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--concurrency", str(self.concurrency)]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "info"]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.process is not None and self.running:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.running:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
