"""Session lifetime: an idle limit (Django's expiry, pushed back by a request at most once a
minute) and an absolute limit after sign-in (``portal.middleware.SessionLifetimeMiddleware``)."""

import datetime as dt
import time

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from portal.middleware import SESSION_STARTED, SESSION_TOUCHED
from postdicom.local.models import AuditRecord
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PAGE = reverse("password_change")  # any page that needs a signed-in user
LOGIN = reverse("login")
ENDED = "Your session has ended. Please sign in again."


@pytest.fixture
def signed_in(client, staff_user):
    response = client.post(LOGIN, {"username": "sam", "password": PASSWORD}, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 302
    return client


def _row(client):
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def _set_started(client, seconds_ago):
    session = client.session
    session[SESSION_STARTED] = time.time() - seconds_ago
    session.save()


def _ended_on_sign_in_page(client, response):
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert ENDED in page.content.decode()
    assert SESSION_KEY not in client.session


def test_defaults():
    assert settings.SESSION_IDLE_MINUTES == 30
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False  # the middleware saves once a minute
    assert settings.SESSION_MAX_HOURS == 12
    assert "portal.middleware.SessionLifetimeMiddleware" in settings.MIDDLEWARE


# --- Idle ---------------------------------------------------------------------------------------------


def _set_touched(client, seconds_ago):
    session = client.session
    session[SESSION_TOUCHED] = time.time() - seconds_ago
    session.save()


def test_a_request_a_minute_after_the_last_save_pushes_the_idle_deadline_back(signed_in):
    _set_touched(signed_in, 61)
    Session.objects.filter(pk=_row(signed_in).pk).update(expire_date=timezone.now() + dt.timedelta(minutes=1))
    assert signed_in.get(PAGE).status_code == 200
    left = _row(signed_in).expire_date - timezone.now()
    assert dt.timedelta(minutes=29) < left <= dt.timedelta(minutes=30)


def test_requests_within_a_minute_of_the_last_save_do_not_save_it(signed_in):
    assert signed_in.get(PAGE).status_code == 200  # the first request after sign-in saves
    _set_touched(signed_in, 30)
    soon = timezone.now() + dt.timedelta(minutes=29, seconds=30)
    Session.objects.filter(pk=_row(signed_in).pk).update(expire_date=soon)
    for _ in range(3):
        assert signed_in.get(PAGE).status_code == 200
    assert _row(signed_in).expire_date == soon


def test_an_idle_session_ends_with_a_message(signed_in):
    Session.objects.filter(pk=_row(signed_in).pk).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    _ended_on_sign_in_page(signed_in, signed_in.get(PAGE))


def test_a_session_removed_on_the_server_ends_with_a_message(signed_in):
    Session.objects.filter(pk=_row(signed_in).pk).delete()
    _ended_on_sign_in_page(signed_in, signed_in.get(PAGE))


def test_a_new_visitor_gets_no_message(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert ENDED not in client.get(response["Location"]).content.decode()


def test_signing_out_gets_no_ended_message(signed_in):
    signed_in.post(reverse("logout"))
    response = signed_in.get(PAGE)
    assert response.status_code == 302
    assert ENDED not in signed_in.get(response["Location"]).content.decode()


# --- Absolute limit ---------------------------------------------------------------------------------------


def test_sign_in_stamps_the_start(signed_in):
    assert abs(signed_in.session[SESSION_STARTED] - time.time()) < 60


def test_an_active_session_lasts_up_to_the_limit(signed_in):
    _set_started(signed_in, 12 * 3600 - 60)
    assert signed_in.get(PAGE).status_code == 200


def test_an_active_session_ends_after_the_limit(signed_in, staff_user):
    _set_started(signed_in, 12 * 3600 + 60)
    response = signed_in.get(PAGE, REMOTE_ADDR="203.0.113.6")
    _ended_on_sign_in_page(signed_in, response)
    [logout] = AuditRecord.objects.filter(action="auth.logout")
    assert (logout.actor, logout.ip) == (staff_user, "203.0.113.6")
    assert signed_in.get(PAGE).status_code == 302  # still signed out


def test_the_limit_follows_the_setting(signed_in, settings):
    settings.SESSION_MAX_HOURS = 1
    _set_started(signed_in, 3600 + 60)
    response = signed_in.get(PAGE)
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [ENDED]


def test_signing_in_again_starts_a_new_session(signed_in):
    _set_started(signed_in, 12 * 3600 + 60)
    signed_in.get(PAGE)
    response = signed_in.post(LOGIN, {"username": "sam", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in.get(PAGE).status_code == 200


# --- htmx -----------------------------------------------------------------------------------------------


def test_htmx_requests_after_the_end_reload_the_whole_page(signed_in):
    Session.objects.filter(pk=_row(signed_in).pk).delete()
    response = signed_in.get(PAGE, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(f"{LOGIN}?next=")
    assert response.content == b""
