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

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.cloud import CloudBackend
from tests.contract.server import RayportServer
from tests.postdicom.local.orders_setup import uid
from tests.uploads.conftest import local_storage


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
