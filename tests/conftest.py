"""Shared fixtures: institutions and the personas every test module uses.

* ``admin_user``: an administrator.
* ``staff_user``: a colleague, staff in the ``clinic`` institution.
* ``limited_user``: a limited-access user in ``clinic``.
* ``outsider``: staff in another institution, who must not see ``clinic``'s data.
* ``rayport_server``: a live Rayport in a process of its own (gunicorn, on the test database),
  for the cloud backend to talk to; one for the whole run (the contract suite and the browser
  tests both use it).

The suite runs on PostgreSQL and Redis (see the Makefile); fixtures use the ORM directly
because they set the scene, while the code under test goes through the service layer.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from postdicom import get_api
from postdicom.contract import PostDicomApi
from postdicom.local.access import profile_of
from postdicom.local.models import Institution
from postdicom.types import Role

if TYPE_CHECKING:
    from tests.contract.server import RayportServer

PASSWORD = "correct-horse-battery-9"


def make_user(
    username: str,
    role: Role,
    institutions: Iterable[Institution] = (),
    *,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_active: bool = True,
) -> User:
    user = get_user_model().objects.create_user(
        username=username,
        password=PASSWORD,
        first_name=first_name,
        last_name=last_name,
        email=email or f"{username}@clinic.test",
        is_active=is_active,
    )
    profile = profile_of(user)
    profile.role = role.value
    profile.save(update_fields=["role"])
    profile.institutions.set(list(institutions))
    return user


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    request: pytest.FixtureRequest, django_db_modify_db_settings_parallel_suffix: None
) -> None:
    """On SQLite the test database is a file next to the configured one (``<name>-test``),
    not Django's default of shared memory, which no other process can open: the live server
    (``rayport_server``) and the Celery workers of the worker tests read and write it too.
    PostgreSQL's test database is left as Django names it."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3") and not db.get("TEST", {}).get("NAME"):
        name = Path(db["NAME"])
        worker = getattr(request.config, "workerinput", {}).get("workerid")  # pytest-xdist's gw0, gw1…
        db.setdefault("TEST", {})["NAME"] = str(
            name.with_name(f"{name.stem}-test{f'-{worker}' if worker else ''}{name.suffix}")
        )


@pytest.fixture(autouse=True)
def _english_between_tests() -> Iterator[None]:
    """A request in Spanish leaves Spanish active in this thread; start every test in English."""
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Real hashing is slow by design; tests that check passwords do not need the cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _cache_of_its_own(settings) -> None:
    """Each test counts in a cache of its own (a key prefix, no flush of a shared Redis): a
    throttle's counts (password resets, sign-in failures) never carry over from one test, or
    one run, to the next."""
    settings.CACHES = {
        name: {**value, "KEY_PREFIX": f"test-{time.monotonic_ns()}"} for name, value in settings.CACHES.items()
    }


@pytest.fixture
def api() -> PostDicomApi:
    return get_api()


@pytest.fixture
def clinic(db: None) -> Institution:
    return Institution.objects.create(name="Clínica Central", address="Av. Siempre Viva 742")


@pytest.fixture
def other_clinic(db: None) -> Institution:
    return Institution.objects.create(name="North Imaging")


@pytest.fixture
def admin_user(db: None) -> User:
    return make_user("ada", Role.ADMINISTRATOR, first_name="Ada", last_name="Admin")


@pytest.fixture
def staff_user(clinic: Institution) -> User:
    return make_user("sam", Role.STAFF, [clinic], first_name="Sam", last_name="Staff")


@pytest.fixture
def limited_user(clinic: Institution) -> User:
    return make_user("lia", Role.LIMITED, [clinic], first_name="Lía", last_name="Limitada")


@pytest.fixture
def outsider(other_clinic: Institution) -> User:
    return make_user("otto", Role.STAFF, [other_clinic], first_name="Otto", last_name="Outsider")


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    return _client_for(admin_user)


@pytest.fixture
def staff_client(staff_user: User) -> Client:
    return _client_for(staff_user)


@pytest.fixture
def limited_client(limited_user: User) -> Client:
    return _client_for(limited_user)


@pytest.fixture
def outsider_client(outsider: User) -> Client:
    return _client_for(outsider)


@pytest.fixture(scope="session")
def rayport_server(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayportServer]:
    """A live Rayport on the test database (started at the first test that asks for it)."""
    from tests.contract.server import RayportServer

    server = RayportServer(tmp_path_factory.mktemp("rayport-server"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def on_cloud(rayport_server: RayportServer, settings: Any, admin_user: User) -> None:
    """This test's portal on ``CloudBackend``, pointed at the live Rayport with an
    administrator's API key (the pages in front of the cloud backend)."""
    from tests.postdicom.local.orders_setup import uid

    _key, secret = get_api().create_api_key(actor=admin_user, name="cloud backend", user_id=uid(admin_user))
    settings.POSTDICOM = {
        "BACKEND": "postdicom.cloud.CloudBackend",
        "OPTIONS": {"base_url": f"{rayport_server.url}/dicomweb/", "api_key": secret, "retries": 0},
    }
