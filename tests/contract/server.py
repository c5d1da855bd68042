"""A live Rayport for the cloud backend to talk to: gunicorn in a process of its own on a
loopback port, on the test database and the test's data folder, backed by the local backend."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.worker_harness import ROOT, database_url, free_port


class RayportServer:
    """``start()`` serves the portal at ``url`` until ``stop()``; ``log`` holds its output."""

    def __init__(self, data: Path) -> None:
        self.data, self.port = data, free_port()
        self.log = data / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "RAYPORT_DATA_DIR": str(self.data),
            "RAYPORT_BACKEND": "postdicom.local.LocalBackend",
            "RAYPORT_LOG_LEVEL": "warning",
        }
        command = [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", "1", "--threads", "4", "--timeout", "120"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Rayport server stopped:\n{self.log.read_text()[-4000:]}")
            try:
                httpx.get(f"{self.url}/dicomweb/studies", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"the Rayport server did not start:\n{self.log.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)
