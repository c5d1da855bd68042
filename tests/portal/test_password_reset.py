"""Changing one's password, and resetting a forgotten one by e-mail through a real SMTP server
(aiosmtpd on a free local port), following the link from the message itself."""

import email
import email.policy
import re
import socket
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import SESSION_KEY, get_user_model
from django.urls import reverse
from django.utils import translation

from postdicom.local.models import AuditRecord
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lighthouse-copper-47"
RESET = reverse("password_reset")
SENT = reverse("password_reset_done")
_LINK = re.compile(r"https?://[^\s\"<>]+/accounts/password/reset/[^\s\"<>]+/")


class _Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(settings):
    handler = _Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield handler
    controller.stop()


def _parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


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

    [(recipients, message)] = inbox.messages
    assert recipients == ["sam@clinic.test"]
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
    link = _link(inbox.messages[0][1])
    confirm = client.get(link)
    client.post(confirm["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    again = client.get(link, follow=True)
    assert again.status_code == 200
    assert not again.context["validlink"]
    assert "This link no longer works" in again.content.decode()


def test_a_tampered_link_does_not_work(client, staff_user, inbox):
    client.post(RESET, {"email": "sam@clinic.test"})
    link = _link(inbox.messages[0][1])
    response = client.get(link[:-3] + "xx/", follow=True)
    assert not response.context["validlink"]


def test_unknown_address_gets_the_same_answer_and_no_mail(client, staff_user, inbox):
    known = client.post(RESET, {"email": "sam@clinic.test"}, follow=True)
    unknown = client.post(RESET, {"email": "nobody@clinic.test"}, follow=True)
    assert unknown.redirect_chain == known.redirect_chain == [(SENT, 302)]
    assert _without_tokens(unknown.content) == _without_tokens(known.content)
    assert "Check your e-mail" in unknown.content.decode()
    assert len(inbox.messages) == 1


def test_inactive_user_gets_no_mail(client, staff_user, inbox):
    staff_user.is_active = False
    staff_user.save(update_fields=["is_active"])
    response = client.post(RESET, {"email": "sam@clinic.test"})
    assert response["Location"] == SENT
    assert inbox.messages == []


def test_bad_address_is_shown_next_to_the_field(client, inbox):
    response = client.post(RESET, {"email": "not an address"})
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert 'value="not an address"' in response.content.decode()


def test_reset_mail_is_in_the_language_of_the_request(client, staff_user, inbox):
    # LocaleMiddleware leaves Spanish active in this thread; override() puts English back after.
    with translation.override("en"):
        client.post(RESET, {"email": "sam@clinic.test"}, HTTP_ACCEPT_LANGUAGE="es")
    [(_, message)] = inbox.messages
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
