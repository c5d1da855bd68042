"""The order table fits a 1366-px screen in both languages, on the order list and on a
folder's page (which shows the same table beside the folder tree), and stays usable on a
tablet: nothing scrolls sideways and no flag or status is cut off."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.local.models import PatientOrder
from postdicom.types import FlagDraft, OrderStatus
from tests.conftest import PASSWORD
from tests.e2e.conftest import TABLET, shot, sign_in
from tests.orders.conftest import new_order

pytestmark = pytest.mark.e2e

WIDE = {"width": 1366, "height": 900}

# The widest row a clinic meets: two institutions (so the table shows which), a long name,
# a 16-character accession number, a long study description, two flags and the longest status.
FITS = """(table) => {
  const wrap = table.parentElement;
  const right = wrap.getBoundingClientRect().right;
  const cut = [...table.querySelectorAll('.flag-badge, .badge[class*="status-"], td, th')]
    .filter((cell) => cell.scrollWidth > cell.clientWidth + 1 || cell.getBoundingClientRect().right > right + 1)
    .map((cell) => cell.textContent.trim().slice(0, 40));
  return {table: table.scrollWidth, container: wrap.clientWidth, cut,
          page: document.documentElement.scrollWidth - window.innerWidth};
}"""


@pytest.fixture
def busy_orders(admin_user, staff_user, clinic, other_clinic):
    profile_of(staff_user).institutions.add(other_clinic)
    api = get_api()
    priority = api.create_flag_group(actor=admin_user, name="Priority")
    urgent = api.create_flag(actor=admin_user, group_id=priority.id, draft=FlagDraft(name="Urgent", color="#b42318"))
    review = api.create_flag_group(actor=admin_user, name="Review")
    second = api.create_flag(
        actor=admin_user, group_id=review.id, draft=FlagDraft(name="Second opinion", color="#0b5c74")
    )
    orders = []
    for number, institution in enumerate((clinic, other_clinic, clinic)):
        order = new_order(
            staff_user,
            institution,
            patient_name=f"Fernández-Villalobos^María-Guadalupe^{number}",
            patient_id=f"HC-2026-00{number}4711",
            accession_number=f"ACC-2026-11-20-{number}"[:16],
            study_description="Resonancia magnética de rodilla izquierda con contraste",
            modality="MR",
        )
        api.set_order_flag(actor=staff_user, order_id=order.id, group_id=priority.id, flag_id=urgent.id)
        api.set_order_flag(actor=staff_user, order_id=order.id, group_id=review.id, flag_id=second.id)
        orders.append(order)
    PatientOrder.objects.update(status=OrderStatus.IMAGES_RECEIVED.value)
    folder = api.create_folder(actor=staff_user, name="Knees")
    for order in orders:
        api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[folder.id])
    return folder


def re_query(text: str) -> re.Pattern[str]:
    return re.compile(re.escape(text))


def _check_fits(page, label: str) -> None:
    table = page.locator("table.orders-table")
    expect(table).to_contain_text("Second opinion")
    sizes = table.evaluate(FITS)
    assert sizes["page"] <= 0, f"{label}: the page scrolls sideways by {sizes['page']}px"
    assert sizes["table"] <= sizes["container"], f"{label}: the table is {sizes} wider than its box"
    assert not sizes["cut"], f"{label}: text cut off in {sizes['cut']}"


@pytest.mark.parametrize("size", [WIDE, TABLET], ids=["1366", "tablet"])
def test_order_table_fits_in_both_languages(page, busy_orders, size):
    page.set_viewport_size(size)
    sign_in(page, "sam", PASSWORD)
    for language in ("English", "Español"):
        page.goto(reverse("orders:list"))
        page.get_by_role("banner").get_by_role("button", name=language).click()
        expect(page.get_by_role("banner").get_by_role("button", name=language)).to_have_attribute(
            "aria-pressed", "true"
        )
        _check_fits(page, f"order list in {language}")
        shot(page, f"list-{language}")
        page.goto(reverse("folders:detail", kwargs={"folder_id": busy_orders.id}))
        _check_fits(page, f"folder page in {language}")
        shot(page, f"folder-{language}")


@pytest.mark.parametrize("size", [WIDE, TABLET], ids=["1366", "tablet"])
def test_filters_are_tick_boxes_beside_their_words(page, busy_orders, staff_user, clinic, size):
    new_order(staff_user, clinic, patient_name="Okafor^Chidi", patient_id="P-3", modality="CT")
    page.set_viewport_size(size)
    sign_in(page, "sam", PASSWORD)
    page.goto(reverse("orders:list"))
    results = page.locator("#results")
    expect(results).to_contain_text("Okafor")
    page.get_by_text("More filters").click()
    page.get_by_role("checkbox", name="MR", exact=True).check()
    expect(page).to_have_url(re_query("modality=MR"))
    expect(results).not_to_contain_text("Okafor")
    page.get_by_role("checkbox", name="CT", exact=True).check()
    expect(page).to_have_url(re_query("modality=CT&modality=MR"))
    expect(results).to_contain_text("Okafor")
    page.get_by_role("checkbox", name="Images received").check()
    expect(page).to_have_url(re_query("status=images_received"))
    expect(results).not_to_contain_text("Okafor")
    expect(results).to_contain_text("Fernández-Villalobos")

    # The box of "Assigned to me" sits right before its words.
    mine = page.get_by_role("checkbox", name="Assigned to me")
    box = mine.bounding_box()
    words = page.locator(".checkbox-row label", has_text="Assigned to me").bounding_box()
    assert box["width"] < 30, f"the tick box is {box['width']}px wide"
    assert box["x"] - words["x"] < 5
    shot(page, "filters-English")

    # The bookmark brings the same ticks back, in Spanish too.
    page.reload()
    page.get_by_role("banner").get_by_role("button", name="Español").click()
    expect(page.get_by_role("checkbox", name="MR", exact=True)).to_be_checked()
    expect(page.get_by_role("checkbox", name="Imágenes recibidas")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Programada")).not_to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(page, "filters-Espa_ol")


def test_an_empty_order_shows_only_what_is_filled(page, staff_user, clinic):
    order = new_order(staff_user, clinic, patient_name="Okafor^Chidi", patient_id="P-3")
    sign_in(page, "sam", PASSWORD)
    for language in ("English", "Español"):
        page.goto(reverse("orders:detail", kwargs={"order_id": order.id}))
        page.get_by_role("banner").get_by_role("button", name=language).click()
        expect(page.get_by_role("banner").get_by_role("button", name=language)).to_have_attribute(
            "aria-pressed", "true"
        )
        head = page.locator(".page-head p").inner_text().strip()
        assert not head.endswith("·"), head
        facts = page.locator("dl.facts").first
        expect(facts.locator("dt")).to_have_count(3)  # modality, order date, created
        expect(facts).not_to_contain_text("—")
        shot(page, f"empty-order-{language}")
