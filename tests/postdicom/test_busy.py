"""A busy SQLite (its write lock held past the connection's wait) is a 503 to try again
after, on a page and on the HTTP API, never a 500 (``postdicom.busy``); other database
errors are still bugs."""

from __future__ import annotations

import base64
import html
import sqlite3
from pathlib import Path

import psycopg
import pytest
import redis
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from portal import urls as portal_urls
from postdicom import get_api
from postdicom.busy import busy_database, service_away
from postdicom.errors import Unavailable
from postdicom.server.auth import api_view
from postdicom.server.problems import RETRY_AFTER_UNAVAILABLE
from tests.conftest import PASSWORD

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


_raised: list[Exception] = []


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


def _database_gone() -> OperationalError:
    """What Django raises when PostgreSQL cannot be reached: its ``OperationalError`` around
    psycopg's (here from a port nothing listens on)."""
    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:1/none", connect_timeout=2)
    except psycopg.OperationalError as cause:
        error = OperationalError(str(cause))
        error.__cause__ = cause
        return error
    raise AssertionError("something listens on port 1")


def _redis_gone() -> redis.exceptions.ConnectionError:
    try:
        redis.Redis(port=1, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as error:
        return error
    raise AssertionError("something listens on port 1")


GONE = {
    "database": ("The database cannot be reached just now; try again in a moment.", _database_gone),
    "redis": ("The portal's cache and task queue cannot be reached just now; try again in a moment.", _redis_gone),
}


def test_what_is_gone_for_now_and_what_stays_a_bug(tmp_path: Path) -> None:
    assert service_away(_database_gone()) is not None
    assert service_away(InterfaceError("connection already closed")) is not None
    assert service_away(_redis_gone()) is not None
    assert service_away(sqlite_error(tmp_path, "SELECT * FROM no_such_table")) is None  # SQLite: a bug
    assert service_away(OperationalError("no cause")) is None
    assert service_away(ValueError("a bug")) is None


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("gone", GONE)
def test_a_service_gone_is_a_503_on_pages_and_in_the_api(gone: str, staff_client: Client, admin_user, staff_user):
    message, error = GONE[gone]
    _raised[:] = [error()]
    try:
        page_answer = staff_client.get("/busy/page/")
        assert (page_answer.status_code, page_answer["Retry-After"]) == (503, str(RETRY_AFTER_UNAVAILABLE))
        assert html.escape(message) in page_answer.content.decode()
        _key, secret = get_api().create_api_key(actor=admin_user, name=gone, user_id=staff_user.profile.uuid)
        api_answer = Client().get("/busy/api/", headers={"Authorization": f"Bearer {secret}"})
        assert (api_answer.status_code, api_answer["Retry-After"]) == (503, str(RETRY_AFTER_UNAVAILABLE))
        assert api_answer.json() == {"error": message}
    finally:
        _raised.clear()


@pytest.mark.parametrize("gone", GONE)
def test_gone_before_the_view_is_a_503_too(gone: str, staff_client: Client, monkeypatch) -> None:
    """Raised in a middleware, where ``ServiceErrorMiddleware`` does not see it: the error
    handler (``server_error``) answers 503, a page or the API's JSON, not its 500."""
    error = GONE[gone][1]()

    def fails(self, request):
        raise error

    monkeypatch.setattr("portal.middleware.RequestContextMiddleware.__call__", fails)
    staff_client.raise_request_exception = False
    page_answer = staff_client.get("/orders/")
    assert (page_answer.status_code, page_answer["Retry-After"]) == (503, str(RETRY_AFTER_UNAVAILABLE))
    assert "Try again in a moment" in page_answer.content.decode()
    api_answer = staff_client.get("/dicomweb/studies")
    assert api_answer.status_code == 503
    assert api_answer.json() == {"error": GONE[gone][0]}


def test_the_api_answers_503_while_the_cache_is_down(settings, staff_user) -> None:
    """The sign-in counts tries in the cache: with Redis down, a call with credentials is a
    503 to retry (a 500 before), never let in unthrottled."""
    settings.CACHES = {"default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    credentials = base64.b64encode(f"sam:{PASSWORD}".encode()).decode()
    answer = Client().get("/dicomweb/studies", headers={"Authorization": f"Basic {credentials}"})
    assert (answer.status_code, answer["Retry-After"]) == (503, str(RETRY_AFTER_UNAVAILABLE))
    assert answer.json() == {"error": GONE["redis"][0]}


def test_the_sign_in_page_signs_in_while_the_cache_is_down(settings, staff_user, caplog) -> None:
    """The sign-in page counts its failures per client in the cache. With Redis down, staff
    still sign in (django-axes' lockout per user, in the database, still applies), rather than
    nobody until it is back; a wrong password is still refused."""
    settings.CACHES = {"default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    client = Client()
    wrong = client.post("/accounts/login/", {"username": "sam", "password": "not-it"})
    assert wrong.status_code == 200
    assert "The user name or password is not right" in wrong.content.decode()
    answer = client.post("/accounts/login/", {"username": "sam", "password": PASSWORD})
    assert answer.status_code == 302
    assert client.session["_auth_user_id"] == str(staff_user.pk)
    assert "Sign-in without the per-client budget" in caplog.text
