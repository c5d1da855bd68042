"""``manage.py runportal`` keeps its children alive (portal.supervise), with real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings

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


# A child that starts a grandchild (as a Celery worker starts its pool), writes the
# grandchild's pid to the file named by argv[1], and sleeps. The grandchild ignores SIGTERM, as
# a pool process busy with a task may: only the group's SIGKILL sweep ends it.
PARENT_OF_STUBBORN = [
    sys.executable,
    "-c",
    "import pathlib, subprocess, sys, time\n"
    "code = 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)'\n"
    "grandchild = subprocess.Popen([sys.executable, '-c', code])\n"
    "pathlib.Path(sys.argv[1]).write_text(str(grandchild.pid))\n"
    "time.sleep(120)\n",
]

# runportal's own signal handling around a Supervisor of one such child, in a process of its
# own (signals go to it as a terminal or `kill` would send them).
RUNPORTAL_LIKE = """
import sys
from portal.management.commands.runportal import stop_on_signals
from portal.supervise import Child, Supervisor
supervisor = Supervisor([Child("worker", [*{command!r}, sys.argv[1]])], poll=0.05)
stop_on_signals(supervisor)
supervisor.run()
"""


def _gone(pid: int) -> bool:
    """Whether ``pid`` has ended (a zombie left for an init that does not reap counts)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _grandchild_pid(path) -> int:
    assert _wait(lambda: path.exists() and path.read_text().strip(), 10), "the child did not start its own"
    return int(path.read_text())


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stop_signal_ends_the_childrens_whole_groups(tmp_path, signum):
    pid_file = tmp_path / "grandchild"
    script = RUNPORTAL_LIKE.format(command=PARENT_OF_STUBBORN)
    runner = subprocess.Popen([sys.executable, "-c", script, str(pid_file)], cwd=settings.BASE_DIR)
    grandchild = None
    try:
        grandchild = _grandchild_pid(pid_file)
        runner.send_signal(signum)
        assert runner.wait(15) == 0
        assert _wait(lambda: _gone(grandchild), 5), "the child's own child outlived runportal"
    finally:
        runner.kill()
        if grandchild is not None and not _gone(grandchild):
            os.kill(grandchild, signal.SIGKILL)


def test_a_child_that_dies_takes_what_it_started_with_it(tmp_path):
    pid_file = tmp_path / "grandchild"
    worker = Child("worker", [*PARENT_OF_STUBBORN, str(pid_file)])
    supervisor = Supervisor([worker], poll=0.05)
    thread = threading.Thread(target=supervisor.run)
    thread.start()
    grandchild = None
    try:
        grandchild = _grandchild_pid(pid_file)
        first = worker.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)  # the worker's main process is killed (out of memory)
        assert _wait(lambda: _gone(grandchild), 5), "the dead worker's pool process was left running"
        assert _wait(lambda: worker.pid != first and not worker.dead(), 5)
    finally:
        supervisor.stop()
        thread.join(15)
        if grandchild is not None and not _gone(grandchild):
            os.kill(grandchild, signal.SIGKILL)
    assert not thread.is_alive()
