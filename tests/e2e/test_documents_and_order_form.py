"""The documents card and the order form as a front desk uses them, in both languages, at
1366 px and on a tablet: each refused document is shown next to its name while the good ones
are kept, a file over the size limit is taken out before anything is sent, a document can be
removed after a confirmation, and the order form reports every mistake at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from postdicom.local.models import AuditRecord, DocumentRecord
from tests.conftest import PASSWORD
from tests.e2e.conftest import CHROMIUM_ARGS, TABLET, new_tab, shot, sign_in, sign_in_by_name  # noqa: F401
from tests.orders.conftest import new_order
from tests.uploads.conftest import local_storage
from tests.uploads.files import pdf_bytes, png_bytes

pytestmark = pytest.mark.e2e

WIDE = {"width": 1366, "height": 900}
MB = 1024 * 1024


@pytest.fixture
def own_storage(settings, tmp_path):
    local_storage(settings, tmp_path)
    settings.RAYPORT_DOCUMENT_MAX_BYTES = 1 * MB
    return tmp_path


def _files(tmp_path, **contents: bytes) -> list[str]:
    paths = []
    for name, data in contents.items():
        path = tmp_path / name.replace("_", ".")
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def test_refusals_are_shown_good_documents_kept_and_a_document_removed(
    page, watch, staff_user, clinic, own_storage, tmp_path
):
    order = new_order(staff_user, clinic, accession_number="DOC-E2E")
    page.set_viewport_size(WIDE)
    sign_in(page, "sam", PASSWORD)
    page.goto(f"/orders/{order.id}/")
    card = page.locator("#documents")
    expect(card).to_contain_text("At most 1 MB per file.")

    # One good file, one empty, one web page named .pdf: the good one is kept.
    page.locator("#document-files").set_input_files(
        _files(tmp_path, referral_pdf=pdf_bytes(), empty_pdf=b"", page_pdf=b"<!DOCTYPE html><html></html>")
    )
    card.get_by_role("button", name="Attach", exact=True).click()
    expect(card).to_contain_text("These files were not attached:")
    expect(card.locator(".refused-files li")).to_have_count(2)
    expect(card.locator(".refused-files")).to_contain_text("empty.pdf: The file is empty.")
    expect(card.locator(".refused-files")).to_contain_text("page.pdf: Only PDF, JPEG, PNG, BMP and MP4")
    expect(card.locator(".document-list")).to_contain_text("referral.pdf")
    assert list(DocumentRecord.objects.values_list("name", flat=True)) == ["referral.pdf"]
    shot(page, "refusals-1366-en")

    # Everything refused: the server answers 400 and the card still says why.
    page.locator("#document-files").set_input_files(_files(tmp_path, blank_pdf=b""))
    card.get_by_role("button", name="Attach", exact=True).click()
    expect(card.locator(".refused-files")).to_contain_text("blank.pdf: The file is empty.")
    watch.problems = [p for p in watch.problems if not p.startswith("400 for xhr")]

    # A file over the limit is taken out before sending; the rest goes.
    page.locator("#document-files").set_input_files(
        _files(tmp_path, video_pdf=pdf_bytes() + b"\0" * MB, photo_png=png_bytes())
    )
    too_large = card.locator(".document-too-large")
    expect(too_large).to_be_visible()
    expect(too_large).to_contain_text("video.pdf is larger than 1 MB")
    assert page.locator("#document-files").evaluate("input => Array.from(input.files, f => f.name)") == ["photo.png"]
    shot(page, "too-large-1366-en")
    card.get_by_role("button", name="Attach", exact=True).click()
    expect(card.locator(".document-list")).to_contain_text("photo.png")
    assert sorted(DocumentRecord.objects.values_list("name", flat=True)) == ["photo.png", "referral.pdf"]

    # Removing asks first; cancelling keeps it, accepting removes it and the history says so.
    remove = card.locator(".document", has_text="referral.pdf").get_by_role("button", name="Remove")
    page.once("dialog", lambda dialog: dialog.dismiss())
    remove.click()
    assert DocumentRecord.objects.count() == 2
    page.once("dialog", lambda dialog: dialog.accept())
    remove.click()
    expect(page.locator("#messages")).to_contain_text("“referral.pdf” was removed from the order.")
    expect(card.locator(".document-list")).not_to_contain_text("referral.pdf")
    assert AuditRecord.objects.filter(action="order.document_deleted").count() == 1
    page.set_viewport_size(TABLET)
    shot(page, "after-remove-tablet-en")


@pytest.mark.parametrize(("locale", "viewport", "label"), [("es-ES", WIDE, "1366-es"), ("es-ES", TABLET, "tablet-es")])
def test_the_documents_card_in_spanish(
    browser, live_server, watch, staff_user, clinic, own_storage, tmp_path, locale, viewport, label
):
    order = new_order(staff_user, clinic, accession_number=f"DOC-{label}")
    context, tab = new_tab(browser, live_server, watch, viewport, locale)
    try:
        sign_in_by_name(tab, "sam", PASSWORD)
        tab.goto(f"/orders/{order.id}/")
        card = tab.locator("#documents")
        tab.locator("#document-files").set_input_files(
            _files(tmp_path, informe_pdf=pdf_bytes(), vacio_pdf=b"", grande_pdf=pdf_bytes() + b"\0" * MB)
        )
        expect(card.locator(".document-too-large")).to_contain_text("grande.pdf supera 1 MB")
        card.get_by_role("button", name="Adjuntar", exact=True).click()
        expect(card).to_contain_text("Este archivo no se ha adjuntado:")
        expect(card.locator(".refused-files")).to_contain_text("vacio.pdf: El archivo está vacío.")
        expect(card.locator(".document-list")).to_contain_text("informe.pdf")
        expect(card.get_by_role("button", name="Quitar")).to_be_visible()
        shot(tab, f"documents-{label}")
    finally:
        context.close()
    watch.check()


@pytest.mark.parametrize(
    ("locale", "viewport", "label"),
    [
        ("en-US", WIDE, "1366-en"),
        ("en-US", TABLET, "tablet-en"),
        ("es-ES", WIDE, "1366-es"),
        ("es-ES", TABLET, "tablet-es"),
    ],
)
def test_the_order_form_reports_every_mistake_at_once(
    browser, live_server, watch, staff_user, clinic, locale, viewport, label
):
    context, tab = new_tab(browser, live_server, watch, viewport, locale)
    try:
        sign_in_by_name(tab, "sam", PASSWORD)
        tab.goto("/orders/new/")
        # Birth date and sex are there without opening "More details".
        expect(tab.locator("#id_birth_date")).to_be_visible()
        expect(tab.locator("#id_sex")).to_be_visible()
        tab.locator("#id_patient_id").fill("P-77")
        tab.locator("#id_modality").fill("XYZ123")
        tab.locator("#id_birth_date").fill("2999-01-01")
        tab.locator("details.details-group summary").click()
        tab.locator("#id_accession_number").fill("ACC-2026-000000123")  # 18 characters
        assert tab.locator("#id_accession_number").input_value() == "ACC-2026-000000123"  # not cut
        tab.locator("form.card button[type=submit]").click()
        tab.wait_for_load_state()
        errors = tab.locator(".errorlist")
        english = locale.startswith("en")
        expect(
            errors.filter(has_text="The birth date cannot be in the future." if english else "no puede ser futura")
        ).to_have_count(1)
        expect(
            errors.filter(
                has_text="“XYZ123” is not a DICOM modality" if english else "«XYZ123» no es una modalidad DICOM"
            )
        ).to_have_count(1)
        expect(
            errors.filter(
                has_text="Use at most 16 characters (this has 18)."
                if english
                else "Use como máximo 16 caracteres (este tiene 18)."
            )
        ).to_have_count(1)
        expect(tab.locator("#id_accession_number")).to_be_visible()  # "More details" opens on its errors
        shot(tab, f"order-form-errors-{label}")
    finally:
        context.close()
    watch.check()
