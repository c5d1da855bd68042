"""What a test does when a tool it needs is missing (Chromium, gettext, a Redis server,
PostgreSQL): skip on a developer's machine, fail under CI (``CI=true``), where a skip would
hide that a whole part of the suite never ran."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from postdicom import PostDicomApi
    from postdicom.types import Capability


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing(what: str) -> NoReturn:
    """Skip the test because ``what`` is missing (a sentence saying how to get it); under CI
    the test fails instead."""
    if under_ci():
        pytest.fail(f"{what} (CI=true: a missing tool fails the run instead of skipping)", pytrace=False)
    pytest.skip(what)


def offered(api: PostDicomApi, capability: Capability) -> None:
    """Skip a contract test of a method ``api`` does not offer. Not a missing tool but a
    backend's documented limit (its ``capabilities``), so it skips under CI too, and the
    reason names the backend and the method."""
    if capability not in api.capabilities:
        not_offered(type(api), capability)


def not_offered(backend: type[PostDicomApi], capability: Capability) -> NoReturn:
    """Skip a contract test of a method that ``backend`` does not offer (``offered``; the
    contract suite's early skip, before any fixture, calls this with the class alone)."""
    pytest.skip(f"{backend.__name__} does not offer {capability.value}")
