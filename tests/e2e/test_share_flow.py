"""Sharing with outside people in the browser: tick two orders, share them by e-mail from the
bulk bar's dialog, see the link, its QR code and the generated password once, then My shares,
the share's page and revoking it; a folder's upload-only link from the folder page. Screenshots
of the dialog, the answer and My shares."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from postdicom import get_api
from postdicom.local.models import OutsideShare, ShareMail
from postdicom.types import ShareAudience, ShareOptions
from tests.conftest import PASSWORD
from tests.e2e.conftest import TABLET, shot, sign_in
from tests.postdicom.local.orders_setup import create

pytestmark = pytest.mark.e2e


def _fits(page, label):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{label} is {overflow}px wider than the window"


@pytest.fixture
def eager_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from portal.celery import app

    # Not through settings.CELERY_TASK_ALWAYS_EAGER: when this is the first test to touch the
    # Celery app, its configuration would load from that and keep eager mode for every later test.
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    import postdicom.local.tasks  # noqa: F401 (registers the mail task for eager runs)

    yield
    app.conf.task_always_eager = before


@pytest.mark.parametrize("size", [{"width": 1366, "height": 900}, TABLET], ids=["1366", "tablet"])
def test_share_ticked_orders_by_email_then_revoke(page, watch, staff_user, clinic, size, eager_mail):
    create(staff_user, clinic, accession_number="ACC-1")
    create(staff_user, clinic, accession_number="ACC-2", patient_id="P-2", patient_name="ROE^Ann")
    page.set_viewport_size(size)
    sign_in(page, "sam", PASSWORD)
    page.goto(reverse("orders:list"))
    boxes = page.locator("input[name=order_ids]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="Share…").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Share 2 orders outside the portal")
    shot(page, "dialog")

    dialog.get_by_role("button", name="Share", exact=True).click()  # no address yet
    expect(dialog.locator("#id_email_error")).to_be_visible()
    # That refusal is a 400 on purpose (swapped by [data-swap-refusals]); nothing else may fail.
    watch.problems = [p for p in watch.problems if not p.startswith("400 for xhr")]
    dialog.get_by_label("Recipient's e-mail address").fill("dr.who@example.org")
    dialog.get_by_label("Send the password to another address").fill("nurse@example.org")
    dialog.get_by_label("Title").fill("Second opinion")
    dialog.get_by_label("Allow downloads").check()
    dialog.get_by_label("Open limit").fill("3")
    shot(page, "dialog-filled")
    dialog.get_by_role("button", name="Share", exact=True).click()
    link = dialog.locator("#share-url")
    expect(link).to_be_visible()
    expect(dialog.locator("svg.qr")).to_be_visible()
    password = dialog.locator("#share-password").input_value()
    assert len(password) == 12
    url = link.input_value()
    assert "/s/" in url
    _fits(page, "created")
    shot(page, "created")
    assert sorted(m.to[0] for m in mail.outbox) == ["dr.who@example.org", "nurse@example.org"]
    assert ShareMail.objects.filter(sent_at__isnull=False).count() == 2

    dialog.get_by_role("link", name="My shares").click()
    expect(page.locator("table.share-table")).to_contain_text("Second opinion")
    _fits(page, "my shares")
    shot(page, "my-shares")
    page.get_by_role("link", name="Second opinion").click()
    expect(page.locator("h1")).to_contain_text("Works")
    shot(page, "share-page")
    page.get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator("h1")).to_contain_text("Revoked")
    assert OutsideShare.objects.get().revoked_at is not None


def test_folder_upload_only_link(page, staff_user, eager_mail):
    folder = get_api().create_folder(actor=staff_user, name="Referrals")
    sign_in(page, "sam", PASSWORD)
    page.goto(reverse("folders:detail", kwargs={"folder_id": folder.id}))
    page.get_by_role("link", name="Share outside…").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Upload only, by link").check()
    expect(dialog.get_by_label("Recipient's e-mail address")).to_be_hidden()
    expect(dialog.get_by_label("Allow downloads")).to_be_hidden()
    dialog.get_by_label("No password: the link alone opens it").check()
    shot(page, "dialog-upload")
    dialog.get_by_role("button", name="Share", exact=True).click()
    expect(dialog.locator("#share-url")).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Upload link made")
    shot(page, "upload-created")
    dialog.get_by_role("link", name="Done").click()
    expect(dialog).to_be_hidden()
    assert OutsideShare.objects.get().audience == "upload_link"


def test_the_dialog_works_without_javascript(browser, live_server, staff_user, clinic, eager_mail):
    order = create(staff_user, clinic, accession_number="ACC-9")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    tab = context.new_page()
    sign_in(tab, "sam", PASSWORD)
    tab.goto(reverse("orders:detail", kwargs={"order_id": order.id}))
    tab.get_by_role("link", name="Share…").click()
    tab.get_by_label("A link I pass on myself").check()
    tab.get_by_role("button", name="Share", exact=True).click()
    expect(tab.locator("#share-url")).to_be_visible()
    shot(tab, "no-js-created")
    context.close()


def test_dialog_and_my_shares_in_spanish(page, staff_user, clinic, eager_mail):
    order = create(staff_user, clinic, accession_number="ACC-5")
    get_api().share_orders(
        actor=staff_user,
        order_ids=[order.id],
        audience=ShareAudience(email="dr@example.org"),
        options=ShareOptions(title="Segunda opinión"),
    )
    sign_in(page, "sam", PASSWORD)
    page.goto(reverse("orders:detail", kwargs={"order_id": order.id}))
    page.get_by_role("banner").get_by_role("button", name="Español").click()
    page.get_by_role("link", name="Compartir…").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Compartir 1 orden fuera del portal")
    shot(page, "dialog-es")
    dialog.get_by_role("button", name="Cerrar").click()
    expect(dialog).to_be_hidden()
    page.goto(reverse("sharing:mine"))
    expect(page.locator("h1")).to_have_text("Mis compartidos")
    expect(page.locator("table.share-table")).to_contain_text("Funciona")
    _fits(page, "mis compartidos")
    shot(page, "my-shares-es")
