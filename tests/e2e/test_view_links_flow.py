"""A view link end to end: thumbnails in the order list and on the order page, "Get view
link" on an order, the link opened in another browser without signing in (the viewer reads
the images through the link's own DICOMweb), revoked, and the clear page after, in both
languages."""

from __future__ import annotations

import pydicom
import pytest
from playwright.sync_api import expect

from postdicom import get_api
from postdicom.local.models import StudyRecord
from postdicom.types import UploadFile
from tests.conftest import PASSWORD
from tests.e2e.conftest import new_tab, shot, sign_in
from tests.orders.conftest import new_order
from tests.uploads.conftest import upload
from tests.uploads.files import pdf_bytes, png_bytes, shipped
from tests.uploads.mp4 import playable_mp4

pytestmark = pytest.mark.e2e

WIDE = {"width": 1366, "height": 900}

THUMBS_LOADED = """() => [...document.querySelectorAll('img.thumb')].every(
  (img) => img.complete && img.naturalWidth > 0)"""


def test_thumbnails_then_a_view_link(page, browser, live_server, watch, staff_user, clinic, eager_ingest, tmp_path):
    upload(staff_user, clinic, [shipped("CT_small.dcm"), shipped("MR_small.dcm")], tmp_path)
    new_order(staff_user, clinic, patient_name="Sin^Imagenes", patient_id="P-0")
    ct = pydicom.dcmread(shipped("CT_small.dcm"), stop_before_pixels=True)
    ct_order = StudyRecord.objects.select_related("order").get(study_uid=ct.StudyInstanceUID).order.uuid
    files = {"report.pdf": pdf_bytes(), "photo.png": png_bytes(), "clip.mp4": playable_mp4()}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    get_api().upload_documents(
        actor=staff_user,
        order_id=ct_order,
        files=[UploadFile(name=n, path=str(tmp_path / n), size=len(c)) for n, c in files.items()],
    )
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
    # The order's documents, in the page, from under the link (never a staff URL), view only.
    token_path = url.split("://", 1)[-1].split("/", 1)[1].rstrip("/")
    documents = viewer.locator("[data-documents] .rv-document")
    expect(documents).to_have_count(3)
    documents.filter(has_text="photo.png").click()
    viewer.wait_for_function("() => document.querySelector('[data-document-body] img').naturalWidth > 0")
    expect(viewer.locator("[data-document-download]")).to_be_hidden()
    shot(viewer, "viewer-documents")
    viewer.get_by_role("button", name="Back to images").click()
    documents.filter(has_text="clip.mp4").click()
    viewer.wait_for_function("() => document.querySelector('[data-document-body] video').readyState >= 1")
    assert viewer.locator("[data-document-body] video").evaluate("v => v.controls && v.duration") == 2
    viewer.keyboard.press("Escape")
    documents.filter(has_text="report.pdf").click()
    frame = viewer.locator("[data-document-body] iframe")
    expect(frame).to_be_visible()
    assert frame.get_attribute("src").startswith(f"/{token_path}/orders/{ct_order}/documents/")
    expect(viewer.get_by_role("link", name="Download")).to_have_count(0)
    spanish, tab = new_tab(browser, live_server, watch, WIDE, "es-ES")
    tab.goto(url, timeout=30_000)  # the viewer's bundle, on a machine shared with other test runs
    expect(tab.locator("[data-viewer]")).to_have_attribute("data-state", "ready", timeout=30_000)
    expect(tab.locator("[data-documents] .rv-document")).to_have_count(3)
    shot(tab, "viewer-es")
    tab.locator("[data-documents] .rv-document").filter(has_text="photo.png").click()
    tab.wait_for_function("() => document.querySelector('[data-document-body] img').naturalWidth > 0")
    shot(tab, "viewer-documents-es")
    spanish.close()

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
