"""Signing in and out: audit events with the client's address, and throttling (django-axes).

Sign-ins go through a real POST to the login page: axes needs the request, which
``Client.login()`` does not give it.
"""

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from postdicom.local.models import AuditRecord
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
IP = "203.0.113.25"
OTHER_IP = "198.51.100.77"


def sign_in(client, username, password, ip=IP, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def _events(action):
    return list(AuditRecord.objects.filter(action=action).order_by("id"))


def test_sign_in_is_recorded_with_the_address(client, staff_user):
    response = sign_in(client, "sam", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert client.session[SESSION_KEY] == str(staff_user.pk)
    [event] = _events("auth.login")
    assert (event.actor, event.actor_name, event.target_label, event.ip) == (staff_user, "sam", "sam", IP)


def test_sign_out_is_recorded_with_the_address(client, staff_user):
    sign_in(client, "sam", PASSWORD)
    response = client.post(reverse("logout"), REMOTE_ADDR=OTHER_IP)
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    [event] = _events("auth.logout")
    assert (event.actor, event.ip) == (staff_user, OTHER_IP)


def test_sign_out_needs_a_post(client, staff_user):
    sign_in(client, "sam", PASSWORD)
    assert client.get(reverse("logout")).status_code == 405
    assert client.session[SESSION_KEY] == str(staff_user.pk)
    assert not _events("auth.logout")


def test_wrong_password_is_recorded(client, staff_user):
    response = sign_in(client, "sam", "not-the-password")
    assert response.status_code == 200
    assert "The user name or password is not right" in response.content.decode()
    assert SESSION_KEY not in client.session
    [event] = _events("auth.login_failed")
    assert (event.actor, event.actor_name, event.target_label, event.ip) == (staff_user, "sam", "sam", IP)
    assert not _events("auth.login")


def test_unknown_user_name_is_recorded_without_an_account(client, staff_user):
    sign_in(client, "mallory", "guess")
    [event] = _events("auth.login_failed")
    assert (event.actor, event.actor_name, event.ip) == (None, "mallory", IP)


def test_inactive_user_cannot_sign_in(client, staff_user):
    staff_user.is_active = False
    staff_user.save(update_fields=["is_active"])
    assert sign_in(client, "sam", PASSWORD).status_code == 200
    assert SESSION_KEY not in client.session
    assert len(_events("auth.login_failed")) == 1


def test_forwarded_for_is_ignored_without_a_trusted_proxy(client, staff_user):
    sign_in(client, "sam", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert _events("auth.login")[0].ip == IP


def test_forwarded_for_is_used_behind_a_trusted_proxy(client, staff_user, settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    sign_in(client, "sam", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9, 192.0.2.200")
    assert _events("auth.login")[0].ip == "192.0.2.200"


# --- Throttling --------------------------------------------------------------------------------------


def _fail(client, times, ip=IP):
    return [sign_in(client, "sam", f"wrong-{n}", ip=ip) for n in range(times)]


def test_the_limit_is_five(staff_user):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_four_wrong_passwords_then_the_right_one_signs_in(client, staff_user):
    assert {r.status_code for r in _fail(client, 4)} == {200}
    assert sign_in(client, "sam", PASSWORD).status_code == 302
    assert not _events("auth.locked_out")


def test_fifth_wrong_password_locks_and_even_the_right_one_is_refused(client, staff_user):
    responses = _fail(client, 5)
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert [e.ip for e in _events("auth.locked_out")] == [IP]

    response = sign_in(client, "sam", PASSWORD)  # the sixth attempt, with the right password
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert "Too many attempts" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert not _events("auth.login")
    locked = _events("auth.locked_out")
    assert len(locked) == 2
    assert (locked[-1].target_label, locked[-1].ip) == ("sam", IP)


def test_the_locked_out_page_says_how_long_to_wait(client, staff_user, settings):
    settings.AXES_COOLOFF_TIME = 0.5  # hours
    response = _fail(client, 5)[-1]
    assert response.status_code == 429
    assert "Wait 30 minutes and try again" in response.content.decode()


def test_a_locked_pair_does_not_lock_another_address(client, staff_user):
    _fail(client, 5)
    assert sign_in(client, "sam", PASSWORD).status_code == 429
    other = client.__class__()
    response = sign_in(other, "sam", PASSWORD, ip=OTHER_IP)
    assert response.status_code == 302
    assert other.session[SESSION_KEY] == str(staff_user.pk)
    assert _events("auth.login")[0].ip == OTHER_IP


def test_behind_a_proxy_the_lock_is_the_clients_not_the_proxys(client, staff_user, settings):
    """Every request comes from the proxy's address; the lockout must be keyed on the client's
    (X-Forwarded-For, as ``RAYPORT_PROXY_COUNT`` says), or one client's guesses would lock the
    user out for everyone, and a forged header would not be the one counted."""
    settings.AXES_IPWARE_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for n in range(5):
        sign_in(client, "sam", f"wrong-{n}", ip=proxy, HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, {IP}")
    assert [(e.target_label, e.ip) for e in _events("auth.locked_out")] == [("sam", IP)]
    assert sign_in(client, "sam", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR=IP).status_code == 429
    other = client.__class__()
    assert sign_in(other, "sam", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR=OTHER_IP).status_code == 302


def test_a_locked_pair_does_not_lock_another_user_at_the_same_address(client, staff_user, limited_user):
    _fail(client, 5)
    assert sign_in(client, "lia", PASSWORD).status_code == 302


def test_a_success_resets_the_count(client, staff_user):
    _fail(client, 4)
    assert sign_in(client, "sam", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    assert {r.status_code for r in _fail(client, 4)} == {200}
    assert sign_in(client, "sam", PASSWORD).status_code == 302


# --- A budget of failed sign-ins per client, whatever the user names ------------------------------


@pytest.fixture
def budget_of_three(settings):
    settings.RAYPORT_LOGIN_FAILURES_PER_CLIENT = 3
    settings.AXES_COOLOFF_TIME = 0.25  # hours: the budget's window follows the cool-off


def _spray(client):
    """One guess on each of three user names from ``IP``: the budget of three spent."""
    return [sign_in(client, name, "Winter2026!") for name in ("ana", "ben", "cai")]


def test_the_budget_is_wide_by_default():
    assert settings.RAYPORT_LOGIN_FAILURES_PER_CLIENT == 50


def test_one_address_trying_many_user_names_is_paused(client, staff_user, budget_of_three):
    """axes counts per user name and address: a few guesses on each of many names would never
    be stopped. Past the budget the address is paused before any password is checked."""
    assert [r.status_code for r in _spray(client)] == [200, 200, 200]
    response = sign_in(client, "sam", PASSWORD)  # the right password, now unchecked
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 15 * 60
    page = response.content.decode()
    assert "Too many failed sign-ins from your network. Wait 15 minutes and try again." in page
    assert 'value="sam"' in page  # the user name is kept
    assert SESSION_KEY not in client.session
    assert len(_events("auth.login_failed")) == 3  # the paused try checked nothing
    assert not _events("auth.login")


def test_another_address_keeps_its_own_budget(client, staff_user, budget_of_three):
    _spray(client)
    assert sign_in(client, "sam", PASSWORD).status_code == 429
    other = client.__class__()
    assert sign_in(other, "sam", PASSWORD, ip=OTHER_IP).status_code == 302


def test_sign_ins_that_pass_are_given_back(client, staff_user, limited_user, budget_of_three):
    """A clinic signing in through one address spends nothing on the sign-ins that work."""
    assert sign_in(client, "sam", "a-typo").status_code == 200
    assert sign_in(client, "lia", "a-typo").status_code == 200
    for _ in range(5):
        assert sign_in(client, "sam", PASSWORD).status_code == 302
        client.post(reverse("logout"))
    assert sign_in(client, "lia", "a-typo").status_code == 200  # the third failure: still checked
    assert sign_in(client, "lia", PASSWORD).status_code == 429


def test_an_ipv6_client_is_counted_by_its_network(client, staff_user, budget_of_three):
    for n, name in enumerate(("ana", "ben", "cai")):
        sign_in(client, name, "Winter2026!", ip=f"2001:db8:0:1::{n + 1}")
    assert sign_in(client, "sam", PASSWORD, ip="2001:db8:0:1::ffff").status_code == 429
    assert sign_in(client, "sam", PASSWORD, ip="2001:db8:0:2::1").status_code == 302


def test_the_pause_is_said_in_spanish(client, staff_user, budget_of_three):
    _spray(client)
    response = sign_in(client, "sam", PASSWORD, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 429
    assert "Demasiados inicios de sesión fallidos desde su red. Espere 15 minutos" in response.content.decode()


def test_own_password_change_is_audited(staff_client, staff_user):
    response = staff_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "a-brand-new-secret-4", "new_password2": "a-brand-new-secret-4"},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302
    event = AuditRecord.objects.get(action="auth.password_changed")
    assert event.actor == staff_user
    assert event.ip == "10.1.2.3"
