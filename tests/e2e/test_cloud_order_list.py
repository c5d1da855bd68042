"""The order list on the cloud backend, in a browser: the portal (pytest-django's live server)
lists a live Rayport's orders through ``CloudBackend``; it offers only the filters that server
applies, and a bookmark asking for another says, above the results, that it was not applied."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from postdicom.local.models import Institution
from tests.conftest import PASSWORD
from tests.e2e.conftest import shot, sign_in
from tests.postdicom.local.orders_setup import create

pytestmark = pytest.mark.e2e


def test_the_cloud_order_list_offers_what_the_server_applies_and_says_what_it_did_not(
    page, on_cloud: None, staff_user: User, clinic: Institution
) -> None:
    create(staff_user, clinic, patient_name="QUISPE^Rosa", patient_id="CL-1")
    create(staff_user, clinic, patient_name="MAMANI^Luis", patient_id="CL-2")
    sign_in(page, "sam", PASSWORD)
    page.goto("/orders/")
    presets = page.get_by_role("navigation", name="Ready-made searches")
    expect(presets.get_by_role("link")).to_have_text(["Today", "This week"])
    page.get_by_text("More filters").click()
    filters = page.locator("#order-filters")
    expect(filters).to_contain_text("Not available with this image server: Status, Flag, Assigned to me.")
    expect(filters).to_contain_text("It lists the newest orders first.")
    expect(filters.get_by_label("Flag")).to_have_count(0)
    expect(page.locator("table.orders-table thead a")).to_have_count(0)
    expect(page.locator("table.orders-table")).to_contain_text("QUISPE, Rosa")
    shot(page, "filters")

    page.goto("/orders/?name=quispe&flag=any&mine=on&sort=patient_name")
    notice = page.get_by_role("status").filter(has_text="Not applied")
    expect(notice).to_contain_text("Not applied: Flag, Assigned to me, Sort order.")
    expect(page.locator("table.orders-table tbody tr")).to_have_count(1)
    shot(page, "not-applied")
    notice.get_by_role("link", name="Search without them").click()
    page.wait_for_url("**/orders/?name=quispe")
    expect(page.get_by_text("Not applied")).to_have_count(0)
    expect(page.locator("table.orders-table tbody tr")).to_have_count(1)
