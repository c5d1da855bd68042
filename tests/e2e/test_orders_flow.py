"""A receptionist's day with one order: create (fixing a mistake), find, flag, assign to a
referring doctor who then sees it, unassign, delete, restore."""

import re

import pytest
from playwright.sync_api import expect

from postdicom.local.models import FlagGroupRecord, FlagRecord
from tests.conftest import PASSWORD
from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def urgency(db):
    group = FlagGroupRecord.objects.create(name="Urgency")
    FlagRecord.objects.create(group=group, name="Urgent", color="#d00000")
    return group


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_order_lifecycle(page, staff_user, limited_user, urgency):
    sign_in(page, "sam", PASSWORD)
    expect(page).to_have_url(re.compile(r"/orders/$"))

    # Create, with two mistakes: both are reported at once.
    page.get_by_role("link", name="New order").click()
    page.get_by_label("Last name").fill("Peña")
    page.get_by_label("First name").fill("Íñigo")
    page.get_by_label("Modality").fill("mr")
    page.get_by_label("Study description").fill("Knee")
    page.get_by_label("Birth date").fill("2099-01-01")  # beside the required fields
    page.get_by_text("More details", exact=True).click()
    page.get_by_label("Accession number").fill("ACC-4711")
    page.get_by_role("button", name="Create order").click()  # no patient ID, a birth date in the future
    errors = page.locator(".form-row.has-error")
    expect(errors).to_have_count(2)
    expect(errors.filter(has_text="Patient ID")).to_contain_text("This field is required.")
    expect(errors.filter(has_text="Birth date")).to_contain_text("The birth date cannot be in the future.")
    expect(page.get_by_label("Last name")).to_have_value("Peña")
    expect(page.get_by_label("Accession number")).to_have_value("ACC-4711")
    shot(page, "two-mistakes-at-once")
    page.locator("#id_patient_id").fill("ES-4711")
    page.get_by_label("Birth date").fill("1984-03-02")
    page.get_by_role("button", name="Create order").click()
    expect(page.get_by_role("heading", name=re.compile("Peña, Íñigo"))).to_be_visible()
    shot(page, "created")

    # Find it by part of the name, without the accent, as you type.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Orders").click()
    page.locator("#id_name").fill("pena")
    results = page.locator("#results")
    expect(results).to_contain_text("Peña, Íñigo")
    expect(page).to_have_url(re.compile(r"name=pena"))
    shot(page, "found")
    results.get_by_role("link", name="Peña, Íñigo").click()

    # Flag it.
    page.get_by_label("Urgency").select_option(label="Urgent")
    page.locator("#flags").get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("Flag saved")
    expect(page.locator(".page-head")).to_contain_text("Urgent")

    # Assign it to the referring doctor (a limited user).
    page.get_by_label("Assign to").select_option(label="Lía Limitada (lia)")
    page.locator("#assignments").get_by_role("button", name="Assign").click()
    expect(page.locator("#assignments .member-list")).to_contain_text("Lía Limitada")
    shot(page, "flagged-and-assigned")
    order_url = page.url
    _sign_out(page)

    # The referring doctor sees it now.
    sign_in(page, "lia", PASSWORD)
    expect(page.locator("#results")).to_contain_text("Peña, Íñigo")
    page.goto(order_url)
    expect(page.get_by_role("heading", name=re.compile("Peña"))).to_be_visible()
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    shot(page, "limited-view")
    _sign_out(page)

    # Unassign: the doctor loses it at once.
    sign_in(page, "sam", PASSWORD)
    page.goto(order_url)
    page.locator("#assignments").get_by_role("button", name="Unassign").click()
    expect(page.locator("#assignments .member-list")).to_have_count(0)
    _sign_out(page)
    sign_in(page, "lia", PASSWORD)
    expect(page.locator("#results")).not_to_contain_text("Peña")
    assert page.goto(order_url).status == 404
    _sign_out(page)

    # Delete to the recycle bin, then restore with the flag intact.
    sign_in(page, "sam", PASSWORD)
    page.goto(order_url)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page.locator("#messages")).to_contain_text("recycle bin")
    expect(page.locator("#results")).not_to_contain_text("Peña")
    page.get_by_role("link", name="Recycle bin").click()
    expect(page.locator("main")).to_contain_text("Peña, Íñigo")
    shot(page, "recycle-bin")
    page.get_by_role("button", name="Restore").click()
    expect(page.get_by_role("heading", name=re.compile("Peña, Íñigo"))).to_be_visible()
    expect(page.locator(".page-head")).to_contain_text("Urgent")
    shot(page, "restored")
