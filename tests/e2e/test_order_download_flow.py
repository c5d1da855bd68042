"""Downloading orders in the browser: "Download (ZIP)" on an order's page, and on the order
list for the ticked orders; the browser saves a ZIP with the DICOMDIR and the images."""

from __future__ import annotations

import zipfile
from unittest import mock

import pydicom
import pytest
from playwright.sync_api import expect

from postdicom.local.models import StudyRecord
from tests.conftest import PASSWORD
from tests.e2e.conftest import shot, sign_in
from tests.orders.conftest import new_order
from tests.uploads.conftest import local_storage, upload
from tests.uploads.files import make_image

pytestmark = pytest.mark.e2e

WIDE = {"width": 1366, "height": 900}


def test_download_an_order_and_a_selection(page, staff_user, clinic, settings, tmp_path):
    local_storage(settings, tmp_path)
    image = make_image(tmp_path / "scan.dcm", patient_name="Pérez^Ana", accession="ZIP-1")
    with mock.patch("postdicom.local.uploads.queue._send"):
        upload(staff_user, clinic, [image], tmp_path)
    order = StudyRecord.objects.select_related("order").get(study_uid=pydicom.dcmread(image).StudyInstanceUID).order
    other = new_order(staff_user, clinic, accession_number="ZIP-2")
    page.set_viewport_size(WIDE)
    sign_in(page, "sam", PASSWORD)

    page.goto(f"/orders/{order.uuid}/")
    button = page.get_by_role("link", name="Download (ZIP)")
    expect(button).to_be_visible()
    shot(page, "order-page")
    with page.expect_download() as download:
        button.click()
    saved = tmp_path / "one.zip"
    download.value.save_as(saved)
    assert download.value.suggested_filename.endswith(".zip")
    names = zipfile.ZipFile(saved).namelist()
    assert names[0] == "DICOMDIR"
    assert "DICOM/P0000001/S0000001/SE000001/I0000001" in names

    page.goto("/orders/")
    for accession in ("ZIP-1", "ZIP-2"):
        page.locator("tr", has_text=accession).locator("input[type=checkbox]").check()
    shot(page, "list-ticked")
    with page.expect_download() as download:
        page.locator(".bulk-bar").get_by_role("button", name="Download (ZIP)").click()
    saved = tmp_path / "two.zip"
    download.value.save_as(saved)
    assert download.value.suggested_filename.startswith("rayport-2-orders-")
    assert "DICOMDIR" in zipfile.ZipFile(saved).namelist()
    assert page.url.endswith("/orders/")  # the list stays as it was, ticks and all
    expect(page.locator("tr", has_text=other.accession_number).locator("input[type=checkbox]")).to_be_checked()
