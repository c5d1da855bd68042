"""The backend-neutral contract suite: every test runs against each backend.

* ``local``: ``LocalBackend`` in this process.
* ``cloud``: ``CloudBackend`` over real HTTP to a live Rayport (gunicorn in a process of its
  own, on this test database, backed by the local backend), signed in with an
  administrator's API key and acting as each test's user.

The scene is arranged with the local backend (``get_api()``, as the other tests do), whose
rows the live server reads: the tests are transactional so that the server sees them. A test
of a method a backend does not offer is skipped by its capability, visibly, never by a list
kept by hand: ``offered(api, …)`` in its body, or ``@offers(…)`` on it, which skips before
any set-up (no database to flush afterwards) when the backend's class does not even override
the method, and otherwise checks the backend's ``capabilities`` once it is made.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.cloud import CloudBackend
from postdicom.local import LocalBackend
from postdicom.types import Capability
from tests.contract.server import RayportServer
from tests.missing import not_offered, offered
from tests.postdicom.local.orders_setup import uid
from tests.uploads.conftest import local_storage

#: The backend class behind each value of the ``api`` fixture.
BACKENDS: dict[str, type[PostDicomApi]] = {"local": LocalBackend, "cloud": CloudBackend}


def offers(*capabilities: Capability) -> pytest.MarkDecorator:
    """Mark a contract test as one of these methods: skipped on a backend without them."""
    return pytest.mark.offers(*capabilities)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "offers(*capabilities): the contract methods a test needs (``offers``)")
    config.addinivalue_line("markers", "rolled_back: local cases need no commit (``_committed``)")


def _overridden(backend: type[PostDicomApi], capability: Capability) -> bool:
    return getattr(backend, capability.value) is not getattr(PostDicomApi, capability.value)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip before any fixture when the backend cannot have the method (named by ``offers``
    or by an ``offered(api, Capability.X)`` first statement): one it does not override is
    ``Unsupported`` whatever its ``capabilities`` say. The same skip, without a database to
    fill and flush (seconds each)."""
    marker = item.get_closest_marker("offers")
    callspec = getattr(item, "callspec", None)
    if callspec is None or "api" not in callspec.params or not isinstance(item, pytest.Function):
        return
    backend = BACKENDS[callspec.params["api"]]
    gate = _gate(item.function)
    for capability in [*(marker.args if marker else ()), *([gate] if gate else [])]:
        if not _overridden(backend, capability):
            not_offered(backend, capability)


@functools.cache
def _gate(test: Callable[..., Any]) -> Capability | None:
    """The capability a test asks for first thing (``offered(api, Capability.X)`` as its first
    statement after the docstring), else None."""
    body = ast.parse(textwrap.dedent(inspect.getsource(test))).body[0].body  # type: ignore[attr-defined]
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    call = body[0].value if body and isinstance(body[0], ast.Expr) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "offered"):
        return None
    named = call.args[1] if len(call.args) == 2 else None
    return Capability[named.attr] if isinstance(named, ast.Attribute) else None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The live server reads only what is committed: every test here is transactional, but
    the cases of a module marked ``rolled_back`` that no other process reads (all but the
    cloud ones) run in a transaction rolled back at the end. The flush after a committed
    test costs seconds where such a test takes tenths; nothing such a module checks waits
    for a commit (no ``on_commit`` work). A marker, not a fixture asking for
    ``transactional_db`` by name: pytest-django decides before such a request is made."""
    here = Path(__file__).parent
    for item in items:
        if item.path.parent != here:
            continue
        callspec = getattr(item, "callspec", None)
        cloud = callspec is not None and callspec.params.get("api") == "cloud"
        rolled_back = not cloud and item.get_closest_marker("rolled_back") is not None
        item.add_marker(pytest.mark.django_db(transaction=not rolled_back))


@pytest.fixture(autouse=True)
def _committed(db: None) -> None:
    """Every test here has a database, committed or rolled back as its marker says."""


@pytest.fixture
def data_dir(request: pytest.FixtureRequest, settings: Any, tmp_path: Path) -> Path:
    """Where stored files go: the live server's data folder for the cloud backend."""
    root = (
        request.getfixturevalue("rayport_server").data if request.node.callspec.params["api"] == "cloud" else tmp_path
    )
    local_storage(settings, root)
    return root


@pytest.fixture(params=list(BACKENDS))
def api(request: pytest.FixtureRequest, admin_user: User) -> PostDicomApi:
    made = _backend(request, admin_user)
    marker = request.node.get_closest_marker("offers")
    for capability in marker.args if marker is not None else ():
        offered(made, capability)
    return made


def _backend(request: pytest.FixtureRequest, admin_user: User) -> PostDicomApi:
    if request.param == "local":
        return get_api()
    server: RayportServer = request.getfixturevalue("rayport_server")
    _key, secret = get_api().create_api_key(actor=admin_user, name="cloud backend", user_id=uid(admin_user))
    return CloudBackend(base_url=f"{server.url}/dicomweb/", api_key=secret, retries=0)
