"""The broker is down while a clinic user sends images: the upload page says it is waiting for
the server (never an error), keeps what was sent, and carries on by itself once the broker is
back. A real Redis of the test's own is stopped and started; the live server really fails to
queue the ingest and answers 503 with Retry-After."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from postdicom.local.models import BatchState, UploadBatch, UploadItem
from tests.conftest import PASSWORD
from tests.e2e.conftest import DESKTOP, TABLET, TIMEOUT_MS, Watch, shot, sign_in_by_name
from tests.uploads.conftest import local_storage
from tests.uploads.files import make_image
from tests.worker_harness import RedisServer, celery_broker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WAITING = {"en": "Waiting for the server", "es": "Esperando al servidor"}
WAITING_FILE = {"en": "waiting for the server", "es": "esperando al servidor"}


@pytest.fixture
def broker_down(settings, tmp_path):
    """The live server's broker is a Redis that is not running (yet)."""
    local_storage(settings, tmp_path)
    server = RedisServer(tmp_path)
    try:
        with celery_broker(server.url):
            yield server
    finally:
        server.kill()


@pytest.mark.parametrize("language", ["en", "es"])
def test_sending_waits_for_the_server_then_carries_on(
    browser, live_server, staff_user, broker_down, tmp_path, language
):
    for number in range(3):
        make_image(tmp_path / "CD" / f"IM{number:04d}", patient_id=f"P{number}", rows=64, columns=64)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900}, locale=language)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    try:
        page.goto("/accounts/login/")
        page.locator(f"button[name=language][value={language}]").click()  # the portal's own switch
        sign_in_by_name(page, "sam", PASSWORD)  # by name: the labels are in that language
        page.goto("/orders/upload/")
        page.locator("#pick-folder").set_input_files(str(tmp_path / "CD"))
        expect(page.locator("#preview tbody tr")).to_have_count(3)
        page.locator("#send-button").click()

        status = page.locator("#total-status")
        expect(status).to_contain_text(WAITING[language], timeout=20_000)
        expect(page.locator("#file-progress")).to_contain_text(WAITING_FILE[language])
        expect(page.locator("#send-errors")).to_have_text("")
        shot(page, f"waiting-{language}-1366")
        page.set_viewport_size(TABLET)
        shot(page, f"waiting-{language}-tablet")
        page.set_viewport_size(DESKTOP)
        # The bytes are on the server already; only the ingest could not be queued.
        batch = UploadBatch.objects.get()
        assert UploadItem.objects.filter(batch=batch, state="received").count() == 3

        broker_down.start()
        expect(page).to_have_url(re.compile(r"/orders/upload/batches/[0-9a-f-]+/$"), timeout=40_000)
        assert UploadBatch.objects.get().state == BatchState.QUEUED  # a worker takes it from here
        shot(page, f"report-{language}")
    finally:
        context.close()
    # The 503s were the point of the test; anything else the browser reported is not.
    watch.problems = [p for p in watch.problems if not p.startswith("503 ")]
    watch.check()
