"""The order history and the audit log as people read them: sentences with names, who viewed
the order, in English and Spanish, at desktop and tablet width (screenshots to look at)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.types import FlagDraft
from tests.conftest import PASSWORD
from tests.e2e.conftest import TABLET, shot, sign_in
from tests.uploads.conftest import local_storage, upload
from tests.uploads.files import shipped

pytestmark = pytest.mark.e2e

WIDE = {"width": 1366, "height": 900}


@pytest.fixture
def busy_order(settings, tmp_path, admin_user, staff_user, limited_user, clinic, monkeypatch):
    local_storage(settings, tmp_path)
    monkeypatch.setattr("postdicom.local.uploads.queue._send", lambda task, *args: None)
    api = get_api()
    receipt = upload(staff_user, clinic, [shipped("CT_small.dcm"), shipped("MR_small.dcm")], tmp_path)
    order = api.upload_report(actor=staff_user, batch_id=receipt.batch_id).orders[0]
    group = api.create_user_group(actor=admin_user, name="Radiología")
    flags = api.create_flag_group(actor=admin_user, name="Priority")
    urgent = api.create_flag(actor=admin_user, group_id=flags.id, draft=FlagDraft(name="Urgent", color="#cc0000"))
    api.assign_order(actor=staff_user, order_id=order.id, group_id=group.id)
    api.assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
    api.set_order_flag(actor=staff_user, order_id=order.id, group_id=flags.id, flag_id=urgent.id)
    api.order_properties(actor=limited_user, order_id=order.id)  # Lía looked at it
    return order


def _fits(page, label):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{label} is {overflow}px wider than the window"


@pytest.mark.parametrize("size", [WIDE, TABLET], ids=["desktop", "tablet"])
def test_order_history_and_audit_log_in_both_languages(page, busy_order, size):
    page.set_viewport_size(size)
    sign_in(page, "sam", PASSWORD)
    page.goto(f"/orders/{busy_order.id}/")
    history = page.locator("#history")
    expect(history).to_contain_text("Sam Staff assigned this order to the group Radiología")
    expect(history).to_contain_text("Sam Staff uploaded")
    expect(history).to_contain_text("Who viewed this order")
    expect(history).to_contain_text("Lía Limitada opened it once")
    history.scroll_into_view_if_needed()
    _fits(page, "order detail")
    shot(page, "order-history-en")
    page.get_by_role("banner").get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#history")).to_contain_text("Sam Staff asignó esta orden al grupo Radiología")
    expect(page.locator("#history")).to_contain_text("Quién vio esta orden")
    _fits(page, "order detail (es)")
    shot(page, "order-history-es")
    page.get_by_role("banner").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.context.clear_cookies()
    sign_in(page, "ada", PASSWORD)
    page.goto("/administration/audit/?action=order")
    expect(page.locator("table.audit-table")).to_contain_text("Sam Staff")
    _fits(page, "audit log")
    shot(page, "audit-en")
    page.get_by_role("banner").get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("table.audit-table")).to_contain_text("Orden abierta")
    _fits(page, "audit log (es)")
    shot(page, "audit-es")
    page.get_by_role("banner").get_by_role("button", name="English").click()
