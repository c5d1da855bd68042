"""``tests.missing``: a missing tool skips on a developer's machine and fails under CI."""

from __future__ import annotations

import pytest

from tests.missing import missing


@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_under_ci_a_missing_tool_fails_the_run(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="Chromium is missing"):
        missing("Chromium is missing")


@pytest.mark.parametrize("value", [None, "", "false"])
def test_elsewhere_it_skips(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception, match="Chromium is missing"):
        missing("Chromium is missing")


def test_no_test_skips_on_its_own():
    """Every skip for a missing tool goes through ``missing`` (so CI=true turns it into a failure)."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    offenders = [
        str(path.relative_to(here))
        for path in here.rglob("*.py")
        if path.name not in ("missing.py", "test_missing.py")
        and any(word in path.read_text() for word in ("pytest.skip(", "importorskip(", "mark.skipif(", "mark.skip("))
    ]
    assert offenders == [], f"use tests.missing.missing() instead of skipping: {offenders}"
