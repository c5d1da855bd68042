"""``filelocks.held_once``: one holder at a time, and no lock file left behind."""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import Any

from postdicom import filelocks


def test_one_holder_at_a_time_and_the_file_goes_with_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "item-1.lock"
    with filelocks.held_once(path) as first:
        assert first
        with filelocks.held_once(path) as second:  # another open file: as another process would
            assert not second
        assert path.exists()
    assert not path.exists()
    with filelocks.held_once(path) as again:
        assert again
    assert not list(tmp_path.iterdir())


def test_a_file_left_by_a_dead_holder_is_taken_and_removed(tmp_path: Path) -> None:
    path = tmp_path / "item-2.lock"
    path.touch()
    with filelocks.held_once(path) as got:
        assert got
    assert not path.exists()


def test_one_who_opened_the_file_before_it_was_removed_does_not_hold_it(tmp_path: Path, monkeypatch: Any) -> None:
    """A holder lets go (removing the file) between a newcomer's opening the file and its
    locking it: the newcomer must not hold the removed file, or a third one would take the
    file made anew at the same path while it believes it holds the lock."""
    path = tmp_path / "item-3.lock"
    first = filelocks.held_once(path)
    assert first.__enter__()
    real_flock = fcntl.flock
    calls: list[int] = []

    def flock_after_the_holder_lets_go(fd: int, operation: int) -> None:
        if not calls:
            first.__exit__(None, None, None)  # the file this newcomer opened is removed now
        calls.append(operation)
        real_flock(fd, operation)

    monkeypatch.setattr(filelocks.fcntl, "flock", flock_after_the_holder_lets_go)
    with filelocks.held_once(path) as second:
        assert second
        assert path.exists()  # it holds the file at the path …
        with filelocks.held_once(path) as third:
            assert not third  # … so that a third one cannot have it
    assert not path.exists()
