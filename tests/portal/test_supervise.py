"""``manage.py runportal`` keeps its children alive (portal.supervise), with real processes."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from portal.supervise import Child, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_child_that_dies_is_started_again_and_stop_ends_them_all():
    worker, web = Child("worker", SLEEPER), Child("web", SLEEPER)
    supervisor = Supervisor([worker, web], poll=0.05)
    thread = threading.Thread(target=supervisor.run)
    thread.start()
    try:
        assert _wait(lambda: worker.pid is not None and web.pid is not None, 5)
        first, web_pid = worker.pid, web.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)  # the worker crashes
        assert _wait(lambda: worker.pid != first and not worker.dead(), 5), "the worker was not started again"
        assert worker.restarts == 1
        assert web.pid == web_pid  # the others are left alone
        assert not web.dead()
        second = worker.pid
        assert second is not None
        os.kill(second, signal.SIGKILL)  # dying again soon after: a longer pause (2 s)
        time.sleep(1)
        assert worker.dead()
        assert _wait(lambda: worker.pid != second and not worker.dead(), 5)
        assert worker.restarts == 2
    finally:
        supervisor.stop()
        thread.join(15)
    assert not thread.is_alive()
    assert worker.dead()
    assert web.dead()
