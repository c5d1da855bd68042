"""An administrator makes an API key, copies its secret from the page that shows it once, and
revokes it; at 1366 px and tablet width, in English and in Spanish, with screenshots."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from postdicom.local.api_keys import authenticate_api_key
from tests.conftest import PASSWORD
from tests.e2e.conftest import TABLET, shot, sign_in

pytestmark = pytest.mark.e2e

WIDE = {"width": 1366, "height": 800}


def _fits(page, label):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{label} is {overflow}px wider than the window"


@pytest.mark.parametrize("language", ["English", "Español"])
@pytest.mark.parametrize("size", [WIDE, TABLET], ids=["1366", "tablet"])
def test_make_copy_and_revoke_a_key(page, admin_user, staff_user, size, language):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.set_viewport_size(size)
    sign_in(page, "ada", PASSWORD)
    page.goto(reverse("portal:admin_home"))
    page.get_by_role("banner").get_by_role("button", name=language).click()
    expect(page.get_by_role("banner").get_by_role("button", name=language)).to_have_attribute("aria-pressed", "true")

    page.locator(f"nav ul.subnav a[href='{reverse('portal:api_key_list')}']").click()
    expect(page.locator(".card.empty")).to_be_visible()
    _fits(page, "empty list")
    shot(page, "empty")

    page.locator(f"a.button[href='{reverse('portal:api_key_create')}']").first.click()
    page.locator("main button.button[type=submit]").click()  # nothing filled in
    expect(page.locator("#id_name_error")).to_be_visible()
    expect(page.locator("#id_user_error")).to_be_visible()
    _fits(page, "form with errors")
    shot(page, "form-errors")

    page.locator("#id_name").fill("Lab results importer")
    page.locator("#id_user").select_option(label="Sam Staff (sam)")
    page.locator("main button.button[type=submit]").click()
    secret_field = page.locator("#api-key-secret")
    expect(secret_field).to_be_visible()
    secret = secret_field.input_value()
    assert secret.startswith("rpk_")
    copy = page.locator("button[data-copy]")
    expect(copy).to_be_visible()
    copy.click()
    expect(copy).to_have_text("Copied" if language == "English" else "Copiada")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    assert authenticate_api_key(secret) == staff_user
    _fits(page, "secret page")
    shot(page, "secret-shown-once")

    page.locator(f"a.button[href='{reverse('portal:api_key_list')}']").click()
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    assert secret not in page.content()
    _fits(page, "list")
    shot(page, "list")

    page.locator("td.actions-cell a").click()
    _fits(page, "revoke confirmation")
    shot(page, "revoke-confirm")
    page.locator("button.danger").click()
    expect(page.locator("table.data .badge.inactive")).to_be_visible()
    assert authenticate_api_key(secret) is None
    _fits(page, "list after revoking")
    shot(page, "revoked")
