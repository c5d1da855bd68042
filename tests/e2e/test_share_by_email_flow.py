"""Issue 12's browser test, end to end: staff share an order by e-mail from the order page with
the password going to a second address; both e-mails are read from a real SMTP server; the
doctor opens the link in a fresh browser with no account, types the password from the other
mail, views the images and downloads the ZIP. Then staff make an upload-only folder link, an
outsider uploads through it, and staff find the files in the folder."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from postdicom import get_api
from postdicom.local.models import FolderOrder, PatientOrder
from tests.conftest import PASSWORD
from tests.e2e.conftest import DESKTOP, new_tab, shot, sign_in
from tests.e2e.test_share_public_flow import _ct_slices
from tests.smtp_harness import MailServer, parts
from tests.uploads.conftest import upload
from tests.worker_harness import free_port

pytestmark = pytest.mark.e2e

UPLOAD_PASSWORD = "a long pass phrase 42"
LINK = re.compile(r"https?://[^\s\"'<>]+/s/[A-Za-z0-9_-]+/")


@pytest.fixture
def smtp_mail(settings: Any) -> Iterator[MailServer]:
    """Share e-mails sent for real, to an SMTP server on 127.0.0.1, by the mail task run at once
    (eager Celery: a browser test has no worker of its own)."""
    server = MailServer(free_port())
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    from portal.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    import postdicom.local.tasks  # noqa: F401 (registers the mail task for eager runs)

    yield server
    app.conf.task_always_eager = before
    server.stop()


def test_share_by_email_read_both_mails_open_view_and_download(
    browser, live_server, watch, staff_user, clinic, eager_ingest, smtp_mail, tmp_path
):
    upload(staff_user, clinic, _ct_slices(tmp_path / "ct", "Moreno^Lucía"), tmp_path)
    order = PatientOrder.objects.get(patient_name="Moreno^Lucía")

    context, staff = new_tab(browser, live_server, watch, DESKTOP, "en-US")
    sign_in(staff, "sam", PASSWORD)
    staff.goto(reverse("orders:detail", kwargs={"order_id": order.uuid}))
    staff.get_by_role("link", name="Share…").click()
    dialog = staff.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Recipient's e-mail address").fill("dr.ibanez@example.org")
    dialog.get_by_label("Send the password to another address").fill("nurse@example.org")
    dialog.get_by_label("Title").fill("CT chest, second opinion")
    dialog.get_by_label("Allow downloads").check()
    dialog.get_by_role("button", name="Share", exact=True).click()
    expect(dialog.locator("#share-url")).to_be_visible()
    shot(staff, "shared")
    context.close()

    (link_mail,) = smtp_mail.inbox.wait_for("dr.ibanez@example.org")
    (password_mail,) = smtp_mail.inbox.wait_for("nurse@example.org")
    assert "Moreno" not in link_mail["Subject"]
    assert "Moreno" not in password_mail["Subject"]
    link_text, _html = parts(link_mail)
    password_text, _html = parts(password_mail)
    (url,) = set(LINK.findall(link_text))
    assert not LINK.findall(password_text)  # the password mail never carries the link
    password = next(line.strip() for line in password_text.splitlines() if re.fullmatch(r"\S{12}", line.strip()))
    assert password not in link_text

    context, doctor = new_tab(browser, live_server, watch, DESKTOP, "en-US")  # no account, no cookies
    doctor.goto(url)
    doctor.get_by_label("Password").fill(password)
    doctor.get_by_role("button", name="Open").click()
    expect(doctor.get_by_role("heading", name="CT chest, second opinion")).to_be_visible()
    doctor.get_by_role("link", name="View images").click()
    expect(doctor.locator("[data-viewer]")).to_have_attribute("data-state", "ready", timeout=30_000)
    canvas_has_pixels = """() => [...document.querySelectorAll('[data-viewer] canvas')].some(c => {
        const g = c.getContext('2d', {willReadFrequently: true}) || null;
        if (!g) return c.width > 0;
        const d = g.getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) if (d[i] || d[i + 1] || d[i + 2]) return true;
        return false; })"""
    doctor.wait_for_function(canvas_has_pixels, timeout=30_000)
    shot(doctor, "viewer")
    doctor.go_back()
    with doctor.expect_download() as caught:
        doctor.get_by_role("link", name=re.compile(r"Download.*\(ZIP\)")).first.click()
    names = zipfile.ZipFile(io.BytesIO(Path(caught.value.path()).read_bytes())).namelist()
    assert "DICOMDIR" in names
    assert len([n for n in names if n.startswith("DICOM/")]) == 6
    context.close()


def test_an_outsider_uploads_through_a_folder_link_and_staff_see_the_files(
    browser, live_server, watch, staff_user, clinic, eager_ingest, smtp_mail, tmp_path
):
    folder = get_api().create_folder(actor=staff_user, name="Incoming CDs")
    context, staff = new_tab(browser, live_server, watch, DESKTOP, "en-US")
    sign_in(staff, "sam", PASSWORD)
    staff.goto(reverse("folders:detail", kwargs={"folder_id": folder.id}))
    staff.get_by_role("link", name="Share outside…").click()
    dialog = staff.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Upload only, by link").check()
    dialog.get_by_label("I type it").check()
    dialog.locator("input[name=password]").fill(UPLOAD_PASSWORD)
    dialog.get_by_label("Title").fill("Send us your previous CT")
    dialog.get_by_role("button", name="Share", exact=True).click()
    expect(dialog.locator("#share-url")).to_be_visible()
    url = dialog.locator("#share-url").input_value()

    cd = tmp_path / "CD"
    _ct_slices(cd / "SERIES1", "Vega^Tomás", count=4)
    visitor_context, visitor = new_tab(browser, live_server, watch, DESKTOP, "en-US")
    visitor.goto(url)
    visitor.get_by_label("Password").fill(UPLOAD_PASSWORD)
    visitor.get_by_role("button", name="Open").click()
    expect(visitor.get_by_role("heading", name="Send us your previous CT")).to_be_visible()
    visitor.locator("#pick-folder").set_input_files(str(cd))
    expect(visitor.locator("#preview")).to_contain_text("Vega, Tomás")
    visitor.get_by_role("button", name="Send").click()
    expect(visitor.locator("#upload-status h2").first).to_have_text(
        "The clinic has received your images", timeout=60_000
    )
    visitor_context.close()

    (notice,) = smtp_mail.inbox.wait_for(staff_user.email)  # the owner is told files arrived
    assert "Vega" not in notice["Subject"]
    staff.goto(reverse("folders:detail", kwargs={"folder_id": folder.id}))
    expect(staff.locator("body")).to_contain_text("Vega, Tomás")
    assert FolderOrder.objects.filter(folder__uuid=folder.id, order__patient_name="Vega^Tomás").count() == 1
    shot(staff, "folder")
    context.close()
