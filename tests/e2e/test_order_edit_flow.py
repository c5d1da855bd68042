"""The front desk's corrections in a browser: edit an order, see a patient's orders, add an
order to a link (and be asked when the patients differ), and purge an order at once.
Every page of these is shot at 1366 px and at tablet width, in English and Spanish."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from postdicom import get_api
from postdicom.types import UploadFile
from tests.conftest import PASSWORD
from tests.e2e.conftest import TABLET, shot, sign_in, sign_in_by_name
from tests.orders.conftest import new_order
from tests.uploads.conftest import upload_dirs  # noqa: F401
from tests.uploads.files import pdf_bytes

pytestmark = pytest.mark.e2e

WIDE = {"width": 1366, "height": 900}
SIZES = {"1366": WIDE, "tablet": TABLET}


@pytest.fixture
def scene(staff_user, clinic, tmp_path):
    api = get_api()
    typo = new_order(staff_user, clinic, patient_name="Muller^Jose", accession_number="AN-1", study_description="Chest")
    same = "Müller^José"  # the patient of the typo's order, once corrected
    earlier = new_order(
        staff_user, clinic, patient_name=same, modality="CR", accession_number="AN-0", order_date=dt.date(2026, 10, 2)
    )
    third = new_order(
        staff_user, clinic, patient_name=same, modality="US", accession_number="AN-3", order_date=dt.date(2026, 11, 28)
    )
    stranger = new_order(staff_user, clinic, patient_name="Otro^Paciente", patient_id="P-9", accession_number="AN-9")
    gone = new_order(staff_user, clinic, patient_name="Borrar^Ana", patient_id="P-77", accession_number="AN-77")
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(pdf_bytes())
    api.upload_documents(
        actor=staff_user, order_id=gone.id, files=[UploadFile(name="letter.pdf", path=str(letter), size=10)]
    )
    api.delete_order(actor=staff_user, order_id=gone.id)
    return {"typo": typo, "earlier": earlier, "third": third, "stranger": stranger, "gone": gone}


def _fits(page, label):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{label} is {overflow}px wider than the window"


def _shots(page, step):
    """The current page at both sizes (the viewport goes back to 1366 px)."""
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        _fits(page, f"{step} at {name}")
        shot(page, f"{step}-{name}")
    page.set_viewport_size(WIDE)


def test_front_desk_corrections(page, scene, staff_user, admin_user):
    page.set_viewport_size(WIDE)
    sign_in(page, "sam", PASSWORD)
    typo = scene["typo"]
    detail = reverse("orders:detail", args=[typo.id])

    # Edit: fix the typo in the name.
    page.goto(detail)
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", name="Change order")).to_be_visible()
    _shots(page, "edit")
    page.get_by_label("Last name").fill("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    _shots(page, "edit-error")
    page.get_by_label("Last name").fill("Müller")
    page.get_by_label("First name").fill("José")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"**{detail}")
    expect(page.get_by_text("patient name: Muller, Jose → Müller, José")).to_be_visible()
    _shots(page, "detail-after-edit")

    # A patient's orders together.
    page.get_by_role("link", name="all orders of this patient").click()
    expect(page.locator("#results tbody tr")).to_have_count(3)
    _shots(page, "patient-orders")

    # Link from the order page: the picker offers the patient's other orders.
    page.goto(detail)
    page.get_by_role("link", name="Link with other orders…").click()
    _shots(page, "link-picker")
    page.get_by_label("Müller, José").first.check()
    page.get_by_role("button", name="Link the ticked orders with this one").click()
    page.wait_for_url(f"**{detail}")
    page.get_by_role("link", name="Add orders to this link…").click()
    page.get_by_label("Not there? Find another order by accession number or patient ID").fill("AN-9")
    page.get_by_role("button", name="Find").click()
    page.get_by_label("Otro, Paciente").check()
    page.get_by_role("button", name="Add the ticked orders to this link").click()
    expect(page.get_by_role("heading", name="Link orders of different patients?")).to_be_visible()
    _shots(page, "link-confirm")
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url(f"**{detail}")

    # From the list: tick the linked order and the third one, "Add to existing link".
    page.goto(reverse("orders:list") + "?patient_id=P-1001&exact_id=on")
    page.get_by_label("Tick the order of Müller, José").nth(0).check()
    page.get_by_label("Tick the order of Müller, José").nth(1).check()
    page.get_by_label("Tick the order of Müller, José").nth(2).check()
    page.get_by_role("button", name="Add to existing link").click()
    expect(page.get_by_text("added to the link of")).to_be_visible()
    _shots(page, "list-added-to-link")

    # Purge now: administrators only.
    page.context.clear_cookies()
    sign_in(page, "ada", PASSWORD)
    page.goto(reverse("orders:recycle_bin"))
    _shots(page, "recycle-bin-admin")
    page.get_by_role("link", name="Delete now…").click()
    expect(page.get_by_role("heading", name="Delete the order of Borrar, Ana for good?")).to_be_visible()
    _shots(page, "purge-confirm")

    # Spanish.
    spanish = page.context.browser.new_context(base_url=page.url.split("/orders")[0], viewport=WIDE, locale="es-ES")
    try:
        es = spanish.new_page()
        sign_in_by_name(es, "ada", PASSWORD)
        for step, url in (
            ("es-edit", reverse("orders:edit", args=[typo.id])),
            ("es-detail", detail),
            ("es-link-picker", reverse("orders:link", args=[scene["stranger"].id])),
            ("es-patient-orders", reverse("orders:list") + "?patient_id=P-1001&exact_id=on"),
            ("es-purge-confirm", reverse("orders:purge", args=[scene["gone"].id])),
        ):
            es.goto(url)
            _shots(es, step)
        es.goto(reverse("orders:link", args=[scene["stranger"].id]) + "?find=AN-0")
        _shots(es, "es-link-picker-found")
        es.locator("input[name=order_ids]").first.check()
        es.get_by_role("button", name="Vincular las órdenes marcadas con esta").click()
        expect(es.get_by_role("heading", name="¿Vincular órdenes de pacientes distintos?")).to_be_visible()
        _shots(es, "es-link-confirm")
        es.get_by_role("button", name="Vincular de todos modos").click()
        page.goto(reverse("orders:purge", args=[scene["gone"].id]))
        page.get_by_role("button", name="Delete for good").click()
        expect(page.get_by_text("deleted for good")).to_be_visible()
    finally:
        spanish.close()
