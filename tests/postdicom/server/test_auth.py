"""Who may call /dicomweb/: session, HTTP Basic (name and password), API keys (Bearer, or
Basic with the key as the password); failures counted per client address; CSRF only for
session callers of unsafe methods (postdicom.server.auth)."""

from __future__ import annotations

import base64
import json
import threading
import time
from unittest import mock

import pytest
from django.contrib.auth.hashers import check_password
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.test import Client, RequestFactory

from postdicom import get_api
from postdicom.local.models import AuditRecord
from postdicom.server.auth import AuthenticationFailed, api_view, authenticate_request, verified_passwords
from tests.conftest import PASSWORD

STUDIES = "/dicomweb/studies"


@pytest.fixture(autouse=True)
def _no_remembered_passwords():
    verified_passwords.clear()
    yield
    verified_passwords.clear()


def basic(name: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def key_of_sam(admin_user, staff_user) -> str:
    _key, secret = get_api().create_api_key(actor=admin_user, name="PACS bridge", user_id=staff_user.profile.uuid)
    return secret


def test_basic_with_name_and_password(staff_user):
    response = Client().get(STUDIES, headers=basic("sam", PASSWORD))
    assert response.status_code == 200
    assert response.json() == []
    assert "sessionid" not in response.cookies  # credentials, not a sign-in: no session is made


def test_api_key_as_bearer_and_as_basic_password(staff_user, key_of_sam):
    assert Client().get(STUDIES, headers=bearer(key_of_sam)).status_code == 200
    assert Client().get(STUDIES, headers=basic("sam", key_of_sam)).status_code == 200
    assert Client().get(STUDIES, headers=basic("", key_of_sam)).status_code == 200
    # Another user's name with sam's key is a mistake somewhere: refused.
    assert Client().get(STUDIES, headers=basic("lia", key_of_sam)).status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Basic " + base64.b64encode(b"sam:wrong").decode(),
        "Basic " + base64.b64encode(b"nobody:" + PASSWORD.encode()).decode(),
        "Basic not-base64!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Bearer rpk_madeup",
        "Bearer ",
        "Digest username=sam",
    ],
)
def test_wrong_credentials_are_refused_as_json(staff_user, header):
    response = Client().get(STUDIES, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"] == "The user name and password, or the API key, are not valid."
    assert response["X-Error-Reason"]
    assert response["WWW-Authenticate"].startswith("Basic ")


def test_no_credentials_no_session(db):
    script = Client().get(STUDIES)
    assert script.status_code == 401
    assert script["WWW-Authenticate"].startswith("Basic ")
    # A browser is not asked for Basic credentials (its own prompt would cover the viewer).
    browser = Client().get(STUDIES, headers={"Sec-Fetch-Mode": "cors"})
    assert browser.status_code == 401
    assert browser["WWW-Authenticate"].startswith("Cookie ")


def test_credentials_win_over_the_session_cookie(staff_client, outsider):
    """A script on a machine where someone is signed in acts as the credentials' user."""
    response = staff_client.get(STUDIES, headers=basic("otto", "wrong"))
    assert response.status_code == 401


def test_inactive_user_and_revoked_key_refused_at_once(staff_user, admin_user, key_of_sam):
    assert Client().get(STUDIES, headers=basic("sam", PASSWORD)).status_code == 200  # remembered
    key = get_api().list_api_keys(actor=admin_user)[0]
    get_api().revoke_api_key(actor=admin_user, key_id=key.id)
    assert Client().get(STUDIES, headers=bearer(key_of_sam)).status_code == 401
    staff_user.is_active = False
    staff_user.save()
    assert Client().get(STUDIES, headers=basic("sam", PASSWORD)).status_code == 401


def test_changed_password_ends_the_remembered_one(staff_user):
    assert Client().get(STUDIES, headers=basic("sam", PASSWORD)).status_code == 200
    staff_user.set_password("a-new-one-42")
    staff_user.save()
    assert Client().get(STUDIES, headers=basic("sam", PASSWORD)).status_code == 401
    assert Client().get(STUDIES, headers=basic("sam", "a-new-one-42")).status_code == 200


def test_a_correct_password_is_hashed_once_while_a_script_keeps_calling(staff_user, monkeypatch):
    """Each use keeps the remembered password another minute: a script calling every few
    seconds for ten minutes pays one hash; one that pauses over a minute pays another."""
    now = [1000.0]
    monkeypatch.setattr("postdicom.server.auth.time.monotonic", lambda: now[0])
    with mock.patch("django.contrib.auth.base_user.check_password", wraps=check_password) as hashed:
        for _ in range(20):
            assert Client().get(STUDIES, headers=basic("sam", PASSWORD)).status_code == 200
            now[0] += 30
        assert hashed.call_count == 1
        now[0] += 61
        assert Client().get(STUDIES, headers=basic("sam", PASSWORD)).status_code == 200
        assert hashed.call_count == 2


@pytest.mark.django_db(transaction=True)
def test_calls_that_miss_at_once_hash_the_password_once(staff_user, monkeypatch):
    """Six calls of one script arriving together, before its password is remembered: one
    hashes it, the others wait for that and take its result (each hashing it would cost six
    times the CPU, and a web process has threads for several at once)."""
    from postdicom.server import auth

    hashed: list[str] = []
    real = auth.authenticate

    def slow_hash(request, **credentials):
        hashed.append(credentials["username"])
        time.sleep(0.3)  # the others arrive while this one hashes
        return real(request, **credentials)

    monkeypatch.setattr("postdicom.server.auth.authenticate", slow_hash)
    together = threading.Barrier(6)
    users: list[int] = []

    def call() -> None:
        request = RequestFactory().get(STUDIES, HTTP_AUTHORIZATION=basic("sam", PASSWORD)["Authorization"])
        try:
            together.wait()
            users.append(authenticate_request(request).pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert hashed == ["sam"]
    assert users == [staff_user.pk] * 6


def test_failures_throttled_per_client_before_any_hashing(settings, staff_user, key_of_sam):
    settings.RAYPORT_API_AUTH_FAILURES = 3
    settings.AXES_FAILURE_LIMIT = 100  # this test is about the per-address limit
    for _ in range(3):
        assert Client().get(STUDIES, headers=basic("sam", "wrong")).status_code == 401
    with (
        mock.patch("django.contrib.auth.base_user.check_password") as hashed,
        mock.patch("postdicom.server.auth.authenticate_api_key") as key_lookup,
    ):
        refused = Client().get(STUDIES, headers=basic("sam", PASSWORD))
        refused_key = Client().get(STUDIES, headers=bearer(key_of_sam))
    assert refused.status_code == refused_key.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= settings.RAYPORT_API_AUTH_WINDOW_SECONDS
    assert "Too many failed sign-ins from this address" in refused.json()["error"]
    hashed.assert_not_called()
    key_lookup.assert_not_called()
    # Another client address is not affected; the session (the viewer) is not either.
    assert Client(REMOTE_ADDR="10.9.9.9").get(STUDIES, headers=basic("sam", PASSWORD)).status_code == 200
    session = Client()
    session.force_login(staff_user)
    assert session.get(STUDIES).status_code == 200


def test_guesses_sent_at_once_are_checked_no_more_than_the_limit(settings, monkeypatch):
    """Eight guesses arriving together from one address, each taking a while to check: only
    the limit's worth are checked, the rest are refused unchecked (429); counting only after
    a refusal let all eight through the check."""
    settings.RAYPORT_API_AUTH_FAILURES = 3
    checked: list[int] = []
    lock = threading.Lock()

    def slow_refusal(request, header):
        with lock:
            checked.append(1)
        time.sleep(0.3)  # every other guess arrives while this one is checked
        raise AuthenticationFailed(401, "wrong")

    monkeypatch.setattr("postdicom.server.auth._from_header", slow_refusal)
    together = threading.Barrier(8)
    codes: list[int] = []

    def guess() -> None:
        request = RequestFactory().get(STUDIES, HTTP_AUTHORIZATION="Basic c2FtOndyb25n", REMOTE_ADDR="10.7.7.7")
        together.wait()
        try:
            authenticate_request(request)
        except AuthenticationFailed as refused:
            with lock:
                codes.append(refused.status)

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) == 3
    assert sorted(codes) == [401] * 3 + [429] * 5


def test_a_right_password_gives_its_place_in_the_count_back(settings, staff_user):
    settings.RAYPORT_API_AUTH_FAILURES = 2
    settings.AXES_FAILURE_LIMIT = 100
    for _ in range(5):  # many good calls do not fill the failures' budget
        assert Client().get(STUDIES, headers=basic("sam", PASSWORD)).status_code == 200
    assert Client().get(STUDIES, headers=basic("sam", "wrong")).status_code == 401
    assert Client().get(STUDIES, headers=basic("sam", PASSWORD)).status_code == 200
    assert Client().get(STUDIES, headers=basic("sam", "wrong")).status_code == 401
    assert Client().get(STUDIES, headers=basic("sam", PASSWORD)).status_code == 429


def test_axes_lockout_of_a_user_answers_429_json(settings, staff_user):
    settings.AXES_FAILURE_LIMIT = 2
    assert Client().get(STUDIES, headers=basic("sam", "wrong")).status_code == 401
    assert Client().get(STUDIES, headers=basic("sam", "wrong")).status_code == 429  # the one that locks
    locked = Client().get(STUDIES, headers=basic("sam", PASSWORD))
    assert locked.status_code == 429
    assert locked["Content-Type"].startswith("application/json")
    assert "Too many failed sign-ins for this user" in locked.json()["error"]
    assert int(locked["Retry-After"]) > 0
    # Every attempt is in the audit trail, the refused ones included, and the lockout itself.
    assert AuditRecord.objects.filter(action="auth.login_failed", target_label="sam").count() == 3
    assert AuditRecord.objects.filter(action="auth.locked_out").exists()


def test_a_locked_out_user_is_no_oracle_for_guesses(settings, staff_user):
    """sam's own script keeps the password remembered; an address that got sam locked out is
    refused the right password as it is every wrong one, and each refusal counts, so the
    address soon gets nothing checked at all."""
    settings.AXES_FAILURE_LIMIT = 2
    settings.RAYPORT_API_AUTH_FAILURES = 5
    assert Client(REMOTE_ADDR="10.0.0.1").get(STUDIES, headers=basic("sam", PASSWORD)).status_code == 200
    attacker = Client(REMOTE_ADDR="10.6.6.6")
    codes = [attacker.get(STUDIES, headers=basic("sam", f"guess-{n}")).status_code for n in range(4)]
    assert codes == [401, 429, 429, 429]  # the second locks sam for this address
    right = attacker.get(STUDIES, headers=basic("sam", PASSWORD))
    assert right.status_code == 429
    assert "Too many failed sign-ins for this user" in right.json()["error"]
    over_budget = attacker.get(STUDIES, headers=basic("sam", PASSWORD))
    assert "Too many failed sign-ins from this address" in over_budget.json()["error"]
    # sam's script, at its own address, goes on working.
    assert Client(REMOTE_ADDR="10.0.0.1").get(STUDIES, headers=basic("sam", PASSWORD)).status_code == 200


def test_an_ipv6_client_is_counted_per_64_network(settings, staff_user):
    """A client may use any address of its /64: a fresh one per guess must not start afresh."""
    settings.RAYPORT_API_AUTH_FAILURES = 3
    settings.AXES_FAILURE_LIMIT = 100
    for n in range(3):
        assert Client(REMOTE_ADDR=f"2001:db8::{n + 1}").get(STUDIES, headers=basic("sam", "wrong")).status_code == 401
    same_network = Client(REMOTE_ADDR="2001:db8::ffff:1").get(STUDIES, headers=basic("sam", PASSWORD))
    assert same_network.status_code == 429
    assert Client(REMOTE_ADDR="2001:db8:0:1::1").get(STUDIES, headers=basic("sam", PASSWORD)).status_code == 200


def test_calls_are_audited_as_the_user_from_the_client_address(staff_user, key_of_sam, stored):
    item = stored["ct"]
    Client(REMOTE_ADDR="192.0.2.7").get(f"{STUDIES}/{item.study}/metadata", headers=bearer(key_of_sam))
    event = AuditRecord.objects.filter(actor=staff_user).order_by("-id").first()
    assert event is not None
    assert event.ip == "192.0.2.7"


# --- the decorator, on a view that changes something -------------------------------------------------


@api_view(("POST",))
def _echo(request):
    return JsonResponse({"user": request.user.get_username(), "how": request.api_credentials})


def test_csrf_only_for_session_callers(rf, staff_user, key_of_sam):
    from django.contrib.sessions.backends.cache import SessionStore
    from django.middleware.csrf import CsrfViewMiddleware

    def through_csrf(request):
        CsrfViewMiddleware(lambda r: HttpResponse()).process_request(request)
        return _echo(request)

    scripted = rf.post("/x", headers=bearer(key_of_sam))
    scripted.user = mock.Mock(is_authenticated=False)
    assert through_csrf(scripted).status_code == 200

    browser = rf.post("/x")
    browser.user = staff_user
    browser.session = SessionStore()
    refused = through_csrf(browser)
    assert refused.status_code == 403
    assert "CSRF" in json.loads(refused.content)["error"]

    wrong_method = rf.get("/x", headers=bearer(key_of_sam))
    answer = _echo(wrong_method)
    assert answer.status_code == 405
    assert answer["Allow"] == "POST"
