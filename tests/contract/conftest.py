"""The backend-neutral contract suite: every test runs against each backend.

* ``local``: ``LocalBackend`` in this process.
* ``cloud``: ``CloudBackend`` over real HTTP to a live Rayport (gunicorn in a process of its
  own, on this test database, backed by the local backend), signed in with an
  administrator's API key and acting as each test's user.

The scene is arranged with the local backend (``get_api()``, as the other tests do), whose
rows the live server reads: the tests are transactional so that the server sees them. A test
of a method a backend does not offer is skipped by its capability (``offered``), visibly,
never by a list kept by hand.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.cloud import CloudBackend
from postdicom.types import Capability
from tests.contract.server import RayportServer
from tests.postdicom.local.orders_setup import uid
from tests.uploads.conftest import local_storage


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
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A cloud test that would skip at its first line skips before its fixtures are set up:
    the same skip, without a database to fill and flush (seconds each)."""
    callspec = getattr(item, "callspec", None)
    if callspec is None or callspec.params.get("api") != "cloud" or not isinstance(item, pytest.Function):
        return
    wanted = _gate(item.function)
    if wanted is not None and getattr(CloudBackend, wanted.value) is getattr(PostDicomApi, wanted.value):
        pytest.skip(f"{CloudBackend.__name__} does not offer {wanted.value}")


@pytest.fixture(scope="session")
def rayport_server(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayportServer]:
    server = RayportServer(tmp_path_factory.mktemp("rayport-server"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _committed(transactional_db: None) -> None:
    """The live server reads only what is committed."""


@pytest.fixture
def data_dir(request: pytest.FixtureRequest, settings: Any, tmp_path: Path) -> Path:
    """Where stored files go: the live server's data folder for the cloud backend."""
    root = (
        request.getfixturevalue("rayport_server").data if request.node.callspec.params["api"] == "cloud" else tmp_path
    )
    local_storage(settings, root)
    return root


@pytest.fixture(params=["local", "cloud"])
def api(request: pytest.FixtureRequest, admin_user: User) -> PostDicomApi:
    if request.param == "local":
        return get_api()
    server: RayportServer = request.getfixturevalue("rayport_server")
    _key, secret = get_api().create_api_key(actor=admin_user, name="cloud backend", user_id=uid(admin_user))
    return CloudBackend(base_url=f"{server.url}/dicomweb/", api_key=secret, retries=0)
