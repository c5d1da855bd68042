"""Every contract method has a contract test: a new method of ``PostDicomApi`` without a test
that calls it as ``api.<name>(`` in tests/contract/ fails the suite, naming it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.contract.test_capabilities import contract_methods

#: It reads files only: its database is rolled back, not flushed.
pytestmark = pytest.mark.rolled_back

#: A call through the ``api`` fixture (``get_api().<name>(`` sets a scene; it tests nothing).
_CALL = re.compile(r"\bapi\.(\w+)\(")


def called_through_api() -> set[str]:
    here = Path(__file__).parent
    return {name for path in here.glob("*.py") for name in _CALL.findall(path.read_text(encoding="utf-8"))}


def test_every_contract_method_is_called_by_a_contract_test() -> None:
    uncovered = sorted(set(contract_methods()) - called_through_api())
    assert uncovered == [], f"{len(uncovered)} contract methods have no test in tests/contract/: " + ", ".join(
        uncovered
    )
