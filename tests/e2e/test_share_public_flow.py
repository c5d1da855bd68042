"""Outside people at a share link (issue 12), each in a fresh browser with no account: a
referring doctor opens a link, gets the password wrong and then right, sees the shared order
with its images, opens the viewer and downloads the ZIP; a patient sends a CD through an
upload-only link. Screenshots of every page they see, in both languages."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pytest
from playwright.sync_api import expect
from pydicom.uid import generate_uid

from postdicom import get_api
from postdicom.local.models import FolderOrder, PatientOrder, ShareAccess
from postdicom.types import SHARE_FAILURES_BEFORE_LOCK, ShareAudience, ShareOptions
from tests.e2e.conftest import DESKTOP, new_tab, shot
from tests.sharing.conftest import PASSWORD, token_of
from tests.uploads.conftest import upload
from tests.uploads.files import make_image, pdf_bytes

pytestmark = pytest.mark.e2e


def _ct_slices(folder: Path, patient: str, count: int = 6) -> list[Path]:
    """A small CT series with something to see: a bright ring and a dark core, changing by slice."""
    study, series = generate_uid(), generate_uid()
    paths = []
    y, x = np.mgrid[0:128, 0:128]
    for number in range(count):
        path = make_image(
            folder / f"IM{number:04d}", patient_name=patient, patient_id="HC-3021", study_uid=study,
            series_uid=series, rows=128, columns=128, study_description="CT chest",
        )  # fmt: skip
        ds = pydicom.dcmread(path)
        radius = np.hypot(x - 64, y - 64)
        pixels = np.where(radius < 50 - number * 2, 400, 40) + np.where(radius < 20, -200, 0)
        ds.PixelData = pixels.astype(np.uint16).tobytes()
        ds.InstanceNumber = number + 1
        ds.save_as(path)
        paths.append(path)
    return paths


def test_a_doctor_opens_a_shared_order_views_it_and_downloads_it(
    browser, live_server, watch, staff_user, clinic, eager_ingest, tmp_path
):
    upload(staff_user, clinic, _ct_slices(tmp_path / "ct", "Moreno^Lucía"), tmp_path)
    order = PatientOrder.objects.get(patient_name="Moreno^Lucía")
    letter = tmp_path / "report.pdf"
    letter.write_bytes(pdf_bytes())
    from postdicom.types import UploadFile

    get_api().upload_documents(
        actor=staff_user,
        order_id=order.uuid,
        files=[UploadFile(name="Radiology report.pdf", path=str(letter), size=letter.stat().st_size)],
    )
    share = get_api().share_orders(
        actor=staff_user,
        order_ids=[order.uuid],
        audience=ShareAudience(link=True),
        options=ShareOptions(
            password=PASSWORD,
            title="CT chest for Dr. Ibáñez",
            message="Please review before Friday's meeting.",
            downloadable=True,
        ),
    )
    token = token_of(share)
    context, page = new_tab(browser, live_server, watch, DESKTOP, "en-US")  # no account, no cookies
    page.goto(f"/s/{token}/")
    expect(page.get_by_role("heading", name="Medical images shared with you")).to_be_visible()
    shot(page, "door")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("alert")).to_contain_text("That password is not right")
    shot(page, "wrong-password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Open").click()

    expect(page.get_by_role("heading", name="CT chest for Dr. Ibáñez")).to_be_visible()
    expect(page.locator(".shared-orders")).to_contain_text("Moreno, Lucía")
    thumbnail = page.locator(".share-thumb img")
    expect(thumbnail).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    shot(page, "orders")

    page.get_by_role("link", name="Details").click()
    expect(page.get_by_role("heading", name="Documents")).to_be_visible()
    expect(page.locator(".share-series img").first).to_be_visible()
    shot(page, "order")

    page.get_by_role("link", name="View images").click()
    expect(page.locator("[data-viewer]")).to_have_attribute("data-state", "ready", timeout=30_000)
    page.wait_for_timeout(1500)  # the first image drawn
    shot(page, "viewer")
    page.go_back()

    with page.expect_download() as caught:
        page.get_by_role("link", name="Download (ZIP)").click()
    names = zipfile.ZipFile(io.BytesIO(Path(caught.value.path()).read_bytes())).namelist()
    assert "DICOMDIR" in names
    assert len([n for n in names if n.startswith("DICOM/")]) == 6
    assert any(n.endswith("Radiology report.pdf") for n in names)
    kinds = set(ShareAccess.objects.values_list("kind", flat=True))
    assert {"failed_password", "opened", "viewed", "downloaded"} <= kinds

    # The owner withdraws the share: the next click shows the clear page, in the share's words.
    get_api().revoke_share(actor=staff_user, share_id=share.id)
    page.reload()
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    shot(page, "revoked")
    context.close()


def test_wrong_passwords_pause_the_link_and_the_page_is_spanish(browser, live_server, watch, staff_user, clinic):
    order = get_api().create_order(
        actor=staff_user,
        institution_id=clinic.uuid,
        draft=__import__("postdicom.types", fromlist=["OrderDraft"]).OrderDraft(
            patient_name="Ruiz^Pablo",
            patient_id="P-7",
            modality="MR",
            order_date=__import__("datetime").date(2026, 11, 2),
        ),
    )
    share = get_api().share_orders(
        actor=staff_user,
        order_ids=[order.id],
        audience=ShareAudience(link=True),
        options=ShareOptions(password=PASSWORD, language="es"),
    )
    token = token_of(share)
    context, page = new_tab(browser, live_server, watch, {"width": 420, "height": 860}, "es-ES")
    page.goto(f"/s/{token}/")
    expect(page.get_by_role("heading", name="Imágenes médicas compartidas con usted")).to_be_visible()
    shot(page, "door-es-phone")
    for _ in range(SHARE_FAILURES_BEFORE_LOCK):
        page.locator("input[name=password]").fill("adivina")
        page.locator("button[type=submit]").click()
    expect(page.get_by_role("heading", name="Demasiados intentos")).to_be_visible()
    shot(page, "locked-es")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
    context.close()


def test_a_patient_sends_a_cd_through_an_upload_link(
    browser, live_server, watch, staff_user, clinic, eager_ingest, tmp_path
):
    folder = get_api().create_folder(actor=staff_user, name="Incoming CDs")
    (share,) = get_api().share_folder(
        actor=staff_user,
        folder_id=folder.id,
        audience=ShareAudience(upload_only=True),
        options=ShareOptions(password=PASSWORD, title="Send us your previous CT"),
    )
    cd = tmp_path / "CD"
    _ct_slices(cd / "SERIES1", "Vega^Tomás", count=4)
    context, page = new_tab(browser, live_server, watch, DESKTOP, "en-US")
    page.goto(f"/s/{token_of(share)}/")
    expect(page.get_by_role("heading", name="Send images to the clinic")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("heading", name="Send us your previous CT")).to_be_visible()
    page.locator("#pick-folder").set_input_files(str(cd))
    expect(page.locator("#preview")).to_contain_text("Vega, Tomás")
    expect(page.locator("#preview")).to_contain_text("To the clinic")
    shot(page, "upload-preview")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#upload-status h2").first).to_have_text("The clinic has received your images", timeout=30_000)
    expect(page.locator("#upload-status")).to_contain_text("4 stored")
    shot(page, "upload-done")
    made = PatientOrder.objects.get(patient_name="Vega^Tomás")
    assert made.created_by == staff_user
    assert FolderOrder.objects.filter(folder__uuid=folder.id, order=made).exists()
    assert ShareAccess.objects.filter(kind="uploaded").count() == 1
    context.close()
