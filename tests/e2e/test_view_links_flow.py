"""A view link end to end: thumbnails in the order list and on the order page, "Get view
link" on an order, the link opened in another browser without signing in (the viewer reads
the images through the link's own DICOMweb), revoked, and the clear page after, in both
languages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import new_tab, shot, sign_in
from tests.orders.conftest import new_order
from tests.uploads.conftest import upload
from tests.uploads.files import shipped

pytestmark = pytest.mark.e2e

WIDE = {"width": 1366, "height": 900}

THUMBS_LOADED = """() => [...document.querySelectorAll('img.thumb')].every(
  (img) => img.complete && img.naturalWidth > 0)"""


def test_thumbnails_then_a_view_link(page, browser, live_server, watch, staff_user, clinic, eager_ingest, tmp_path):
    upload(staff_user, clinic, [shipped("CT_small.dcm"), shipped("MR_small.dcm")], tmp_path)
    new_order(staff_user, clinic, patient_name="Sin^Imagenes", patient_id="P-0")
    sign_in(page, "sam", PASSWORD)
    page.goto("/orders/")
    expect(page.locator("img.thumb")).to_have_count(2)
    expect(page.locator(".thumb-none")).to_have_count(1)
    page.wait_for_function(THUMBS_LOADED)
    shot(page, "order-list")

    page.locator("td.patient-cell a").filter(has_text="CT1").first.click()
    page.wait_for_function(THUMBS_LOADED)
    shot(page, "order-page")
    page.get_by_role("link", name="Get view link").click()
    shot(page, "make-link")
    page.get_by_label("Works for").select_option("240")
    page.get_by_role("button", name="Get view link").click()
    url = page.locator("#view-link-url").input_value()
    assert "/v/" in url
    shot(page, "link-made")

    context, viewer = new_tab(browser, live_server, watch, WIDE, "en-US")
    viewer.goto(url)
    expect(viewer.locator("[data-viewer]")).to_have_attribute("data-state", "ready", timeout=30_000)
    expect(viewer.locator("[data-viewer] [data-state=shown]").first).to_be_visible()
    shot(viewer, "viewer")

    page.goto("/view-links/")
    shot(page, "my-links")
    page.get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Revoke view link").click()
    expect(page.locator(".messages")).to_contain_text("was revoked")

    viewer.goto(url)
    expect(viewer.get_by_role("heading", name="This link was revoked")).to_be_visible()
    shot(viewer, "revoked")
    context.close()
    spanish, tab = new_tab(browser, live_server, watch, WIDE, "es-ES")
    tab.goto(url)
    expect(tab.get_by_role("heading", name="Este enlace fue revocado")).to_be_visible()
    shot(tab, "revoked-es")
    spanish.close()
