"""Share e-mails end to end: the service queues them once the share commits, a real Celery
worker (a subprocess on Redis and the test database) sends them through a real SMTP server
(aiosmtpd), each exactly once: the link and the password in separate messages when a second
address is given, also when the mail server is down at first and comes back; the owner hears
of a first open and of files that arrived through an upload link."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from postdicom import get_api
from postdicom.local.models import ShareMail
from postdicom.local.outside import mail as share_mail
from postdicom.types import ShareAudience, ShareOptions
from tests.missing import missing
from tests.postdicom.local.orders_setup import create
from tests.smtp_harness import MailServer, parts
from tests.worker_harness import Worker, free_port

pytestmark = pytest.mark.django_db

_LINK = re.compile(r"https?://[^\s\"<>]+/s/[A-Za-z0-9_-]{43}/")
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def mail_server():
    server = MailServer(free_port())  # a port nothing else holds; kept when it stops and starts again
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mail_worker(django_db_setup, mail_server, tmp_path_factory):
    if not django_settings.REDIS_URL:
        missing("the e-mail tests need Redis (REDIS_URL) for the worker")
    env = {"RAYPORT_EMAIL": "smtp", "RAYPORT_SMTP_HOST": "127.0.0.1", "RAYPORT_SMTP_PORT": str(mail_server.port)}
    worker = Worker(tmp_path_factory.mktemp("share-mail-worker"), django_settings.REDIS_URL, concurrency=1, env=env)
    worker.start()
    yield worker.log
    worker.stop()


@pytest.fixture
def inbox(mail_worker, mail_server, transactional_db, settings):
    """The worker's mail from this test on; the database is committed (the worker is another
    process). Links point at the configured site."""
    settings.RAYPORT_SITE_URL = "https://portal.clinic.test"
    mail_server.inbox.messages.clear()
    mail_server.inbox.log = mail_worker
    return mail_server.inbox


def _share(staff_user, clinic, language="en", **audience):
    accession = f"A{time.monotonic_ns() % 10**12}"
    order = create(staff_user, clinic, accession_number=accession, patient_name="GARCÍA^Lucía")
    return get_api().share_orders(
        actor=staff_user,
        order_ids=[order.id],
        audience=ShareAudience(**audience),
        options=ShareOptions(password=PASSWORD, title="Second opinion", language=language),
    )


def _link_of(message):
    text, html = parts(message)
    [from_text] = set(_LINK.findall(text))
    [from_html] = set(_LINK.findall(html))
    assert from_text == from_html
    return from_text


def _all_sent(inbox, staff_user, clinic):
    """Share once more with a marker address and wait for it: the one worker process has then
    sent everything queued before."""
    marker = f"marker{time.monotonic_ns()}@example.org"
    _share(staff_user, clinic, email=marker)
    inbox.wait_for(marker)


def test_link_and_password_travel_apart_once_each(staff_user, clinic, inbox):
    share = _share(staff_user, clinic, email="dr.who@example.org", password_email="nurse@example.org")
    [link_mail] = inbox.wait_for("dr.who@example.org")
    [password_mail] = inbox.wait_for("nurse@example.org")
    link = _link_of(link_mail)
    assert link == share.url.replace(urlsplit(share.url).netloc, "portal.clinic.test").replace("http:", "https:")
    assert PASSWORD not in "".join(parts(link_mail))
    assert PASSWORD in parts(password_mail)[0]
    assert PASSWORD in parts(password_mail)[1]
    assert not _LINK.search("".join(parts(password_mail)))
    for message in (link_mail, password_mail):
        assert "GARC" not in message["Subject"].upper()
        assert "Lucía" not in message["Subject"]
    assert link_mail["Subject"] == "Sam Staff shared medical images with you"
    assert get_api().open_share(token=link.rsplit("/", 2)[1], password=PASSWORD, client_ip="192.0.2.9").ok

    # Handing the same mails to the worker again sends nothing more.
    for pk in ShareMail.objects.filter(share__uuid=share.id).values_list("pk", flat=True):
        share_mail.hand_to_worker(pk)
    _all_sent(inbox, staff_user, clinic)
    assert len(inbox.to("dr.who@example.org")) == 1
    assert len(inbox.to("nurse@example.org")) == 1
    assert not ShareMail.objects.filter(share__uuid=share.id, sent_at__isnull=True).exists()
    assert ShareMail.objects.filter(share__uuid=share.id).exclude(secrets={}).count() == 0


def test_without_a_second_address_the_password_comes_with_the_link(staff_user, clinic, inbox):
    _share(staff_user, clinic, email="dr.who@example.org", language="es")
    [message] = inbox.wait_for("dr.who@example.org")
    text, html = parts(message)
    assert PASSWORD in text
    assert PASSWORD in html
    assert message["Subject"].strip() == "Sam Staff ha compartido imágenes médicas con usted"


def test_mails_wait_for_the_mail_server_and_go_once(staff_user, clinic, inbox, mail_server):
    mail_server.stop()
    try:
        _share(staff_user, clinic, email="dr.who@example.org", password_email="nurse@example.org")
        deadline = time.monotonic() + 30
        while "Retry in" not in inbox.log.read_text():
            assert time.monotonic() < deadline, inbox.log.read_text()[-3000:]
            time.sleep(0.2)
        assert inbox.messages == []
    finally:
        mail_server.start()
    inbox.wait_for("dr.who@example.org", timeout=90)
    inbox.wait_for("nurse@example.org", timeout=90)
    _all_sent(inbox, staff_user, clinic)
    assert len(inbox.to("dr.who@example.org")) == 1
    assert len(inbox.to("nurse@example.org")) == 1


def test_the_owner_hears_of_the_first_open_and_of_uploads(staff_user, clinic, inbox):
    api = get_api()
    order = create(staff_user, clinic, accession_number="ACC-8")
    viewing = api.share_orders(
        actor=staff_user,
        order_ids=[order.id],
        audience=ShareAudience(link=True),
        options=ShareOptions(notify_on_first_open=True),
    )
    token = urlsplit(viewing.url).path.split("/")[2]
    assert api.open_share(token=token, password="", client_ip="192.0.2.9").ok
    assert api.open_share(token=token, password="", client_ip="192.0.2.9").ok  # not the first: no mail
    folder = api.create_folder(actor=staff_user, name="Referrals")
    (upload,) = api.share_folder(
        actor=staff_user, folder_id=folder.id, audience=ShareAudience(link=True, upload_only=True)
    )
    api.record_share_upload(token=urlsplit(upload.url).path.split("/")[2], client_ip="192.0.2.10", file_count=3)
    inbox.wait_for(staff_user.email, count=2)
    _all_sent(inbox, staff_user, clinic)
    subjects = sorted(m["Subject"] for m in inbox.to(staff_user.email))
    assert subjects == ["Files arrived through your upload link", "Your share was opened"]
    uploaded = next(m for m in inbox.to(staff_user.email) if m["Subject"].startswith("Files"))
    assert "3 files" in parts(uploaded)[0]
    assert "Referrals" in parts(uploaded)[0]
