"""A busy SQLite (its write lock held past the connection's wait) is a 503 to try again
after, on a page and on the HTTP API, never a 500 (``postdicom.busy``); other database
errors are still bugs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from portal import urls as portal_urls
from postdicom import get_api
from postdicom.busy import busy_database
from postdicom.errors import Unavailable
from postdicom.server.auth import api_view
from postdicom.server.problems import RETRY_AFTER_UNAVAILABLE

MESSAGE = "The database is busy with other work; try again in a moment."


def as_django_raises(error: sqlite3.Error) -> OperationalError:
    """``error`` as Django's database wrapper hands it on (its class, caused by sqlite3's)."""
    try:
        raise OperationalError(*error.args) from error
    except OperationalError as wrapped:
        return wrapped


def sqlite_error(folder: Path, statement: str) -> OperationalError:
    """The error SQLite raises for ``statement`` while another connection holds the write lock."""
    holder = sqlite3.connect(folder / "busy.sqlite3", isolation_level=None)
    holder.execute("CREATE TABLE IF NOT EXISTS t (a)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(folder / "busy.sqlite3", timeout=0, isolation_level=None)
    try:
        waiter.execute(statement)
    except sqlite3.OperationalError as error:
        return as_django_raises(error)
    finally:
        waiter.close()
        holder.close()
    raise AssertionError(f"{statement!r} did not fail")


@pytest.fixture
def locked(tmp_path: Path) -> OperationalError:
    return sqlite_error(tmp_path, "INSERT INTO t VALUES (1)")


def test_only_the_lock_is_busy(locked: OperationalError, tmp_path: Path) -> None:
    busy = busy_database(locked)
    assert isinstance(busy, Unavailable)
    assert busy.message == MESSAGE
    assert busy_database(sqlite_error(tmp_path, "SELECT * FROM no_such_table")) is None  # a bug, not a wait
    assert busy_database(OperationalError("database is locked")) is None  # not SQLite's own
    cause = locked.__cause__
    assert cause is not None
    assert busy_database(cause) is None  # sqlite3's own class is left to Django to wrap


_raised: list[OperationalError] = []


def page(request: HttpRequest) -> HttpResponse:
    raise _raised[0]


@api_view()
def endpoint(request: HttpRequest) -> HttpResponse:
    raise _raised[0]


urlpatterns = [path("busy/page/", page), path("busy/api/", endpoint), *portal_urls.urlpatterns]


@pytest.fixture
def raising(locked: OperationalError):
    _raised[:] = [locked]
    yield locked
    _raised.clear()


@pytest.mark.urls(__name__)
def test_a_page_is_a_503_to_try_again(raising: OperationalError, staff_client: Client) -> None:
    response = staff_client.get("/busy/page/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_UNAVAILABLE)
    assert MESSAGE in response.content.decode()


@pytest.mark.urls(__name__)
def test_the_http_api_is_a_json_503_to_try_again(raising: OperationalError, admin_user, staff_user) -> None:
    _key, secret = get_api().create_api_key(actor=admin_user, name="busy", user_id=staff_user.profile.uuid)
    response = Client().get("/busy/api/", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_UNAVAILABLE)
    assert response.json() == {"error": MESSAGE}


@pytest.mark.urls(__name__)
def test_another_database_error_is_still_a_500(tmp_path: Path, staff_client: Client, admin_user, staff_user) -> None:
    _raised[:] = [sqlite_error(tmp_path, "SELECT * FROM no_such_table")]
    try:
        with pytest.raises(OperationalError):
            staff_client.get("/busy/page/")
        _key, secret = get_api().create_api_key(actor=admin_user, name="bug", user_id=staff_user.profile.uuid)
        with pytest.raises(OperationalError):
            Client().get("/busy/api/", headers={"Authorization": f"Bearer {secret}"})
    finally:
        _raised.clear()
