"""``postdicom.handoff.send``: a task queued by name starts at once, or as long after as it was
registered to wait (``starts_after``); the thumbnails' drawing waits (``queue.DRAW_AFTER_SECONDS``)."""

from __future__ import annotations

from typing import Any

import pytest

from postdicom import handoff
from postdicom.local.uploads import queue


class _Signature:
    def __init__(self, sent: list[dict[str, Any]], task: str, args: tuple[object, ...]) -> None:
        self.sent, self.task, self.args = sent, task, args

    def apply_async(self, **options: Any) -> None:
        self.sent.append({"task": self.task, "args": self.args, **options})


@pytest.fixture
def sent(monkeypatch) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []

    class App:
        def signature(self, task: str, args: tuple[object, ...]) -> _Signature:
            return _Signature(messages, task, args)

    monkeypatch.setattr(handoff, "current_app", App())
    return messages


def test_a_task_starts_at_once_unless_registered_to_wait(sent):
    handoff.send(queue.INGEST_ITEMS, [1, 2])
    handoff.send(queue.DRAW_THUMBNAILS, 7)
    assert sent == [
        {"task": queue.INGEST_ITEMS, "args": ([1, 2],)},
        {"task": queue.DRAW_THUMBNAILS, "args": (7,), "countdown": queue.DRAW_AFTER_SECONDS},
    ]
    assert queue.DRAW_AFTER_SECONDS == 2.0
