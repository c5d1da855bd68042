"""Changing one's password, and resetting a forgotten one by e-mail: the page queues the
e-mail, a real Celery worker (a subprocess on Redis and the test database) sends it through a
real SMTP server (aiosmtpd on this suite's port), and the test follows the link from the
message itself."""

import re
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from postdicom.local.models import AuditRecord
from postdicom.types import Role
from tests.conftest import PASSWORD, make_user
from tests.missing import missing
from tests.smtp_harness import MailServer, parts
from tests.worker_harness import Worker, free_port

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lighthouse-copper-47"
RESET = reverse("password_reset")
SENT = reverse("password_reset_done")
_LINK = re.compile(r"https?://[^\s\"<>]+/accounts/password/reset/[^\s\"<>]+/")


@pytest.fixture(scope="module")
def mail_server():
    server = MailServer(free_port())  # a port nothing else holds; kept when it stops and starts again
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mail_worker(django_db_setup, mail_server, tmp_path_factory):
    """One Celery worker for the module, sending through ``mail_server``. It signs reset
    links with this process's secret key, so the test process accepts them."""
    if not django_settings.REDIS_URL:
        missing("the e-mail tests need Redis (REDIS_URL) for the worker")
    env = {
        "RAYPORT_SECRET_KEY": django_settings.SECRET_KEY,
        "RAYPORT_EMAIL": "smtp",
        "RAYPORT_SMTP_HOST": "127.0.0.1",
        "RAYPORT_SMTP_PORT": str(mail_server.port),
    }
    worker = Worker(tmp_path_factory.mktemp("mail-worker"), django_settings.REDIS_URL, concurrency=1, env=env)
    worker.start()
    yield worker.log
    worker.stop()


@pytest.fixture
def inbox(mail_worker, mail_server, transactional_db, settings):
    """The worker's mail, from this test on. The database is committed (the worker is
    another process); the throttle counts start from zero (``_cache_of_its_own``)."""
    mail_server.inbox.messages.clear()
    mail_server.inbox.log = mail_worker
    return mail_server.inbox


def _wait_for(inbox, address, count=1, timeout=45):
    return inbox.wait_for(address, count, timeout)


def _all_sent_before(client, inbox):
    """Ask for a reset for another account from another client, and wait for its mail: the
    worker (one process) has then handled everything queued before."""
    marker = make_user(f"marker{time.monotonic_ns()}", Role.STAFF)
    client.post(RESET, {"email": marker.email}, REMOTE_ADDR="198.51.100.99")
    _wait_for(inbox, marker.email)


def _parts(message):
    return parts(message)


def _link(message):
    text, html = _parts(message)
    [from_text] = set(_LINK.findall(text))
    [from_html] = set(_LINK.findall(html))
    assert from_text == from_html
    return urlsplit(from_text).path


def _without_tokens(content):
    """The page with its per-request CSRF token taken out."""
    return re.sub(rb'(name="csrf-token" content|name="csrfmiddlewaretoken" value)="[^"]*"', rb"\1", content)


def _sign_in(client, password):
    client.post(reverse("login"), {"username": "sam", "password": password}, REMOTE_ADDR="192.0.2.1")
    return SESSION_KEY in client.session


# --- Password change -----------------------------------------------------------------------------------


def test_change_needs_a_signed_in_user(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_change_password(staff_client, staff_user, client):
    url = reverse("password_change")
    assert staff_client.get(url).status_code == 200
    data = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = staff_client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    assert staff_client.get(reverse("password_change_done")).status_code == 200  # still signed in
    assert not _sign_in(client, PASSWORD)
    assert _sign_in(client, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, "old_password"),
        ({"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": "other-thing-99"}, "new_password2"),
        ({"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"}, "new_password2"),
        (
            {"old_password": PASSWORD, "new_password1": "1234567890123", "new_password2": "1234567890123"},
            "new_password2",
        ),
    ],
)
def test_change_password_refuses_bad_input(staff_client, staff_user, data, field):
    response = staff_client.post(reverse("password_change"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    staff_user.refresh_from_db()
    assert staff_user.check_password(PASSWORD)


# --- Reset by e-mail -------------------------------------------------------------------------------------


def test_reset_by_email_end_to_end(client, staff_user, inbox):
    assert client.get(RESET).status_code == 200
    response = client.post(RESET, {"email": "sam@clinic.test"})
    assert response.status_code == 302
    assert response["Location"] == SENT

    [message] = _wait_for(inbox, "sam@clinic.test")
    assert message["Subject"] == "Choose a new Rayport password"
    text, html = _parts(message)
    assert "Hello Sam Staff," in text
    assert "Your user name is sam." in text
    assert "Choose a new password" in html

    confirm = client.get(_link(message))
    assert confirm.status_code == 302  # Django moves the token out of the address into the session
    form_page = client.get(confirm["Location"])
    assert form_page.status_code == 200
    assert form_page.context["validlink"]
    done = client.post(confirm["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")
    assert AuditRecord.objects.filter(action="auth.password_reset", actor=staff_user).exists()

    fresh = client.__class__()
    assert not _sign_in(fresh, PASSWORD)
    assert _sign_in(fresh, NEW_PASSWORD)


def test_a_reset_link_works_once(client, staff_user, inbox):
    client.post(RESET, {"email": "sam@clinic.test"})
    link = _link(_wait_for(inbox, "sam@clinic.test")[0])
    confirm = client.get(link)
    client.post(confirm["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    again = client.get(link, follow=True)
    assert again.status_code == 200
    assert not again.context["validlink"]
    assert "This link no longer works" in again.content.decode()


def test_a_tampered_link_does_not_work(client, staff_user, inbox):
    client.post(RESET, {"email": "sam@clinic.test"})
    link = _link(_wait_for(inbox, "sam@clinic.test")[0])
    response = client.get(link[:-3] + "xx/", follow=True)
    assert not response.context["validlink"]


def test_unknown_address_gets_the_same_answer_and_no_mail(client, staff_user, inbox):
    known = client.post(RESET, {"email": "sam@clinic.test"}, follow=True)
    unknown = client.post(RESET, {"email": "nobody@clinic.test"}, follow=True)
    assert unknown.redirect_chain == known.redirect_chain == [(SENT, 302)]
    assert _without_tokens(unknown.content) == _without_tokens(known.content)
    assert "Check your e-mail" in unknown.content.decode()
    _all_sent_before(client, inbox)
    assert len(inbox.to("sam@clinic.test")) == 1
    assert inbox.to("nobody@clinic.test") == []


def test_known_and_unknown_addresses_do_the_same_work_in_the_request(client, staff_user, inbox):
    """Nobody is looked up while the page answers (the worker does it), so neither the answer
    nor its time tells whether an account uses the address."""
    runs = []
    for address in ("sam@clinic.test", "nobody@clinic.test"):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(RESET, {"email": address})
        runs.append((response.status_code, [q["sql"] for q in queries]))
    (known_status, known_sql), (unknown_status, unknown_sql) = runs
    assert known_status == unknown_status == 302
    assert known_sql == unknown_sql
    assert not any("auth_user" in sql for sql in known_sql)
    # The worker sends the known address's mail after the answer; wait for it, so that it
    # cannot land in the next test's inbox.
    _all_sent_before(client, inbox)
    assert len(inbox.to("sam@clinic.test")) == 1


def test_inactive_user_gets_no_mail(client, staff_user, inbox):
    staff_user.is_active = False
    staff_user.save(update_fields=["is_active"])
    response = client.post(RESET, {"email": "sam@clinic.test"})
    assert response["Location"] == SENT
    _all_sent_before(client, inbox)
    assert inbox.to("sam@clinic.test") == []


def test_bad_address_is_shown_next_to_the_field(client, inbox):
    response = client.post(RESET, {"email": "not an address"})
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert 'value="not an address"' in response.content.decode()


def test_reset_mail_is_in_the_language_of_the_request(client, staff_user, inbox):
    # LocaleMiddleware leaves Spanish active in this thread; override() puts English back after.
    with translation.override("en"):
        client.post(RESET, {"email": "sam@clinic.test"}, HTTP_ACCEPT_LANGUAGE="es")
    [message] = _wait_for(inbox, "sam@clinic.test")
    with translation.override("es"):
        subject = translation.gettext("Choose a new Rayport password")
        intro = translation.gettext(
            "Someone asked to reset the password of your Rayport account. "
            "If it was you, open this link within two hours to choose a new one:"
        )
    assert subject != "Choose a new Rayport password"  # the Spanish catalogue has it
    assert message["Subject"] == subject
    text, html = _parts(message)
    assert intro in text
    assert intro in html
    assert _link(message).startswith("/accounts/password/reset/")
    assert get_user_model().objects.get(pk=staff_user.pk).check_password(PASSWORD)


# --- Limits: per address and per client ---------------------------------------------------------------------

THROTTLED = "Too many requests for a new password."


@pytest.mark.parametrize("address", ["sam@clinic.test", "nobody@clinic.test"])
def test_an_address_gets_three_links_an_hour_known_or_not(client, staff_user, inbox, address):
    """Ten requests from ten clients: three are sent, seven refused with the same message for
    a known and an unknown address (the limit tells nothing about who has an account)."""
    answers = [client.post(RESET, {"email": address}, REMOTE_ADDR=f"192.0.2.{n}") for n in range(10)]
    assert [a.status_code for a in answers] == [302] * 3 + [429] * 7
    assert THROTTLED in answers[-1].content.decode()
    assert 'value="' + address + '"' in answers[-1].content.decode()
    _all_sent_before(client, inbox)
    assert len(inbox.to(address)) == (3 if address == "sam@clinic.test" else 0)


def test_a_client_gets_twenty_requests_an_hour(client, staff_user, inbox):
    answers = [client.post(RESET, {"email": f"person{n}@clinic.test"}) for n in range(20)]
    assert {a.status_code for a in answers} == {302}
    refused = client.post(RESET, {"email": "sam@clinic.test"})
    assert refused.status_code == 429
    assert THROTTLED in refused.content.decode()
    elsewhere = client.post(RESET, {"email": "sam@clinic.test"}, REMOTE_ADDR="203.0.113.7")
    assert elsewhere.status_code == 302
    # Wait for the worker to send what was queued, so that no mail lands in the next test.
    _all_sent_before(client, inbox)
    assert len(inbox.to("sam@clinic.test")) == 1


def test_the_worker_retries_when_the_mail_server_is_down(client, staff_user, inbox, mail_server):
    mail_server.stop()
    try:
        client.post(RESET, {"email": "sam@clinic.test"})
        deadline = time.monotonic() + 30
        while "Retry in" not in inbox.log.read_text():
            assert time.monotonic() < deadline, inbox.log.read_text()[-3000:]
            time.sleep(0.2)
        assert inbox.to("sam@clinic.test") == []
    finally:
        mail_server.start()
    [message] = _wait_for(inbox, "sam@clinic.test", timeout=60)
    assert _link(message).startswith("/accounts/password/reset/")
