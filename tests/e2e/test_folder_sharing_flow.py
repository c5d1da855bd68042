"""A cardiologist shares a folder with a colleague: chooses them, lets them edit, sets a last
day; the colleague finds it under "Shared with me" with the owner and the rights, opens it and
files nothing they may not; the owner then revokes it and it disappears."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.types import Role, ShareAudience
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import TABLET, shot, sign_in
from tests.orders.conftest import new_order

pytestmark = pytest.mark.e2e


@pytest.fixture
def colleague(clinic):
    return make_user("cole", Role.STAFF, [clinic], first_name="Cole", last_name="League")


@pytest.fixture
def cardiology(staff_user, clinic):
    api = get_api()
    march = api.create_folder(actor=staff_user, name="Cardiology/2026/March", description="Echo reports")
    order = new_order(staff_user, clinic, patient_name="Peña^Íñigo", patient_id="P-1", accession_number="AC-1")
    api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[march.id])
    return next(f for f in api.folder_tree(actor=staff_user) if f.name == "Cardiology")


def sign_out(page) -> None:
    page.context.clear_cookies()


def test_share_a_folder_with_a_colleague(page, staff_user, colleague, cardiology):
    sign_in(page, "sam", PASSWORD)
    page.goto(f"/folders/{cardiology.id}/")
    page.get_by_role("link", name="Share", exact=True).click()
    expect(page.get_by_role("heading", name="Share “Cardiology”")).to_be_visible()
    expect(page.get_by_text("This folder is not shared with anyone yet.")).to_be_visible()

    # Nobody chosen: the form says so and keeps the page.
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.locator(".alert.error")).to_contain_text("Choose at least one colleague or group.")

    page.get_by_label("Cole League").check()
    page.get_by_label("May edit").check()
    last_day = timezone.localdate() + dt.timedelta(days=30)
    page.get_by_label("Last day").fill(last_day.isoformat())
    shot(page, "share-form")
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("“Cardiology” is shared with Cole League.")
    shares = page.locator(".share-table")
    expect(shares).to_contain_text("Cole League")
    expect(shares).to_contain_text("edit")
    shot(page, "shared")

    # The colleague finds it under "Shared with me", with the owner, the rights and the last day.
    sign_out(page)
    sign_in(page, "cole", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Folders").click()
    section = page.locator("#shared-with-me")
    expect(section.get_by_role("link", name="Cardiology")).to_be_visible()
    expect(section).to_contain_text("by Sam Staff")
    expect(section.locator(".badge.share-edit")).to_have_text("edit")
    expect(section).to_contain_text("until")
    expect(page.locator("#shared-with-my-groups")).to_contain_text("Nothing is shared with your groups yet.")
    shot(page, "shared-with-me")

    # Opening it shows the folder in edit mode: sub-folders, no delete or move.
    section.get_by_role("link", name="Cardiology").click()
    expect(page.get_by_role("heading", name="Cardiology", exact=True)).to_be_visible()
    expect(page.locator(".shared-banner")).to_contain_text("Shared by Sam Staff")
    expect(page.get_by_role("link", name="Delete")).to_have_count(0)
    page.locator(".sub-folders").get_by_role("link", name="2026").click()
    page.locator(".sub-folders").get_by_role("link", name="March").click()
    expect(page.locator(".breadcrumbs")).to_contain_text("Shared with me › Cardiology › 2026")
    expect(page.locator("#results")).to_contain_text("Peña, Íñigo")
    expect(page.get_by_role("button", name="Remove from this folder")).to_have_count(1)
    shot(page, "shared-folder-page")

    # The owner revokes it (after confirming), and the colleague no longer has it.
    sign_out(page)
    sign_in(page, "sam", PASSWORD)
    page.goto(f"/folders/{cardiology.id}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".folder-shares").get_by_role("button", name="Revoke").click()
    expect(page.locator("#messages")).to_contain_text("Cole League no longer has “Cardiology”.")
    expect(page.locator(".folder-shares")).to_have_count(0)
    sign_out(page)
    sign_in(page, "cole", PASSWORD)
    page.goto("/folders/")
    expect(page.locator("#shared-with-me")).to_contain_text("Nothing is shared with you yet")
    response = page.goto(f"/folders/{cardiology.id}/")
    assert response is not None
    assert response.status == 404


@pytest.mark.parametrize("size", [{"width": 1366, "height": 800}, TABLET], ids=["desktop", "tablet"])
def test_overlapping_shares_offer_only_what_the_service_allows(page, staff_user, colleague, cardiology, size):
    """View only on Cardiology, edit on 2026 inside it: 2026 offers a new sub-folder but no
    Rename (a shared folder keeps its owner's name); March below it may be renamed."""
    api = get_api()
    year = next(f for f in api.folder_tree(actor=staff_user) if f.name == "2026")
    march = next(f for f in api.folder_tree(actor=staff_user) if f.name == "March")
    for folder, edit in ((cardiology, False), (year, True)):
        api.share_folder(
            actor=staff_user,
            folder_id=folder.id,
            audience=ShareAudience(user_ids=(profile_of(colleague).uuid,)),
            may_edit=edit,
        )
    page.set_viewport_size(size)
    sign_in(page, "cole", PASSWORD)
    for language, rename, new_sub_folder in (
        ("English", "Rename", "New sub-folder"),
        ("Español", "Cambiar nombre", "Nueva subcarpeta"),
    ):
        page.get_by_role("banner").get_by_role("button", name=language).click()
        expect(page.locator("html")).to_have_attribute("lang", "en" if language == "English" else "es")
        page.goto(f"/folders/{year.id}/")
        actions = page.locator(".page-head .actions")
        expect(actions.get_by_role("link", name=rename)).to_have_count(0)
        if new_sub_folder:
            expect(actions.get_by_role("link", name=new_sub_folder)).to_be_visible()
        shot(page, f"shared-2026-{language}")
        page.goto(f"/folders/{march.id}/")
        expect(page.locator(".page-head .actions").get_by_role("link", name=rename)).to_be_visible()
        shot(page, f"shared-march-{language}")
