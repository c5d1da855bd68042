"""A technician uploads a CD's folder of images with anonymization, watches the progress,
opens the order the images made, and attaches the referral letter (a PDF) to it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from pydicom.uid import generate_uid

from postdicom.local.models import DocumentRecord, InstanceRecord
from tests.conftest import PASSWORD
from tests.e2e.conftest import shot, sign_in
from tests.uploads.conftest import stored_files
from tests.uploads.files import make_image, pdf_bytes

pytestmark = pytest.mark.e2e


def test_upload_a_folder_with_anonymization_then_a_pdf(page, staff_user, clinic, eager_ingest, tmp_path):
    folder = tmp_path / "CD" / "CT-CHEST"
    study, series = generate_uid(), generate_uid()
    for number in range(6):
        make_image(
            folder / f"IM{number:04d}",
            patient_name="Real^Person",
            patient_id="REAL-42",
            study_uid=study,
            series_uid=series,
            rows=64,
            columns=64,
        )
    (tmp_path / "CD" / "DICOMDIR").write_bytes(b"\x00" * 128 + b"DICM")  # a broken index: listed, not fatal
    letter = tmp_path / "referral.pdf"
    letter.write_bytes(pdf_bytes())

    sign_in(page, "sam", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Upload").click()
    expect(page.get_by_role("heading", name="Upload images")).to_be_visible()
    page.locator("#pick-folder").set_input_files(str(tmp_path / "CD"))
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Real, Person")
    expect(preview).to_contain_text("New order")
    expect(preview.locator("tbody tr td").nth(4)).to_have_text("6")
    shot(page, "preview")

    page.get_by_text("Anonymize the images (optional)").click()
    page.get_by_label("Patient name", exact=True).check()
    page.get_by_label("New value for Patient name").fill("Anonymous^Patient")
    page.get_by_label("Patient ID", exact=True).check()
    page.get_by_label("New value for Patient ID").fill("ANON-1")
    shot(page, "anonymization")
    page.get_by_role("button", name="Send").click()

    expect(page).to_have_url(re.compile(r"/orders/upload/batches/[0-9a-f-]+/$"), timeout=30_000)
    expect(page.locator("#upload-status h2").first).to_have_text("Done", timeout=30_000)
    expect(page.locator("#upload-status")).to_contain_text("6 stored")
    shot(page, "report")
    assert InstanceRecord.objects.count() == 6
    stored = [(eager_ingest / "media" / path).read_bytes() for path in stored_files(eager_ingest)]
    assert len(stored) == 6  # every image is in storage, and only those (beside the thumbnails)
    assert all(b"Real^Person" not in content and b"Anonymous^Patient" in content for content in stored)

    page.get_by_role("link", name=re.compile("Anonymous, Patient")).first.click()
    expect(page.get_by_role("heading", name=re.compile("Anonymous, Patient"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("ANON-1")
    expect(page.locator("main")).to_contain_text("Images received")
    shot(page, "order")

    page.locator("#document-files").set_input_files(str(letter))
    page.locator("#documents").get_by_role("button", name="Attach", exact=True).click()
    expect(page.locator("#documents")).to_contain_text("referral.pdf")
    expect(page.locator("#documents").get_by_role("link", name="Download")).to_be_visible()
    shot(page, "document")
    assert DocumentRecord.objects.get().kind == "pdf"


def test_files_chosen_before_the_script_ran_are_previewed(page, staff_user, clinic, eager_ingest, tmp_path):
    """On a slow page the file inputs work before upload.js has run: what was chosen then is
    previewed when it runs, not lost with the change event nobody heard."""
    folder = tmp_path / "CD"
    study, series = generate_uid(), generate_uid()
    for number in range(2):
        make_image(folder / f"IM{number}", patient_name="Early^Hand", study_uid=study, series_uid=series)
    sign_in(page, "sam", PASSWORD)
    page.route("**/js/upload.js", lambda route: route.abort("aborted"))  # the script has not come yet
    page.goto("/orders/upload/")
    page.locator("#pick-folder").set_input_files(str(folder))
    expect(page.locator("#preview")).to_be_empty()
    page.unroute("**/js/upload.js")
    script = page.evaluate("document.querySelector('script[src*=\"upload.js\"]').src")
    page.add_script_tag(url=script)
    expect(page.locator("#preview")).to_contain_text("Early, Hand")
    expect(page.locator("#preview tbody tr td").nth(4)).to_have_text("2")


def test_a_reload_resumes_the_same_batch(page, staff_user, clinic, eager_ingest, tmp_path):
    """Half of a file was sent before the tab closed: after a reload the page offers to
    continue, the same file is chosen again, and only the missing bytes go."""
    import io
    import json

    from portal.staging import receive as staging
    from portal.staging.types import UploadFileInfo
    from postdicom.local.models import UploadItem

    path = make_image(tmp_path / "CT" / "IM0001", rows=256, columns=256)
    data = path.read_bytes()
    sign_in(page, "sam", PASSWORD)
    page.goto("/orders/upload/")
    batch = staging.start(staff_user, institution_id=clinic.uuid)
    # Registered as the page registers it: name, size, modification time in ms.
    mtime = int(path.stat().st_mtime * 1000)
    (state,) = staging.register(staff_user, batch.id, [UploadFileInfo("IM0001", len(data), mtime)])
    half = len(data) // 2
    staging.write_chunk(staff_user, batch.id, state.id, 0, io.BytesIO(data[:half]), half)
    stored = {
        "id": str(batch.id),
        "files_url": f"/orders/upload/batches/{batch.id}/files/",
        "parts_url": f"/orders/upload/batches/{batch.id}/parts/",
        "finish_url": f"/orders/upload/batches/{batch.id}/finish/",
        "report_url": f"/orders/upload/batches/{batch.id}/",
    }
    page.evaluate("(value) => localStorage.setItem('rayport.upload', value)", json.dumps(stored))
    page.reload()
    banner = page.locator("#resume-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("was interrupted")
    shot(page, "resume-offered")

    page.locator("#pick-files").set_input_files(str(path))
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(rf"/orders/upload/batches/{batch.id}/$"), timeout=30_000)
    expect(page.locator("#upload-status h2").first).to_have_text("Done", timeout=30_000)
    item = UploadItem.objects.get()
    assert item.state == "stored"
    assert (item.name, item.received) == ("IM0001", len(data))
    assert page.evaluate("() => localStorage.getItem('rayport.upload')") is None
