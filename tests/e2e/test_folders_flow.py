"""A radiographer files the week's orders: builds a three-level tree, files orders from the
order list (its folder picker loads when opened) and from an order's page, filters the order
list by folder (with the mouse and the keyboard), opens a branch of the tree, moves a folder,
takes an order out, deletes a folder, and finds every order still there."""

import re

import pytest
from playwright.sync_api import expect

from postdicom import get_api
from postdicom.local.models import Folder
from tests.conftest import PASSWORD
from tests.e2e.conftest import shot, sign_in
from tests.orders.conftest import new_order

pytestmark = pytest.mark.e2e


@pytest.fixture
def orders(staff_user, clinic):
    return [
        new_order(staff_user, clinic, patient_name="Peña^Íñigo", patient_id="P-1", accession_number="AC-1"),
        new_order(staff_user, clinic, patient_name="Nakamura^Aiko", patient_id="P-2", accession_number="AC-2"),
        new_order(staff_user, clinic, patient_name="Okafor^Chidi", patient_id="P-3", accession_number="AC-3"),
    ]


OPTIONS = re.compile(r"/folders/options/")


def folder_id(name: str) -> str:
    return str(Folder.objects.get(name=name).uuid)


def test_folder_lifecycle(page, staff_user, orders):
    sign_in(page, "sam", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Folders").click()
    expect(page.get_by_role("heading", name="Folders", exact=True)).to_be_visible()
    expect(page.locator("#shared-with-me")).to_contain_text("Nothing is shared with you yet")

    # Three levels at once; a name made only of slashes is refused first.
    page.get_by_label("Name").fill(" / / ")
    page.get_by_role("button", name="Create folder").click()
    expect(page.locator(".form-row.has-error")).to_contain_text("only of slashes and spaces")
    shot(page, "slashes-refused")
    page.get_by_label("Name").fill("Cardiology/2026/March")
    page.get_by_label("Description").fill("Echo reports")
    page.get_by_role("button", name="Create folder").click()
    expect(page.get_by_role("heading", name="March", exact=True)).to_be_visible()
    expect(page.locator(".breadcrumbs")).to_contain_text("Cardiology › 2026")
    expect(page.locator(".folder-tree [aria-current=page]")).to_have_text("March")

    # A second branch, with a sub-folder, to move into later.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Folders").click()
    page.get_by_label("Name").fill("Archive/Old")
    page.get_by_role("button", name="Create folder").click()
    expect(page.get_by_role("heading", name="Old", exact=True)).to_be_visible()

    # File two orders from the order list (bulk): the picker loads the folders when opened.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Orders").click()
    results = page.locator("#results")
    picker = page.locator("#bulk-folders")
    expect(picker.locator("option")).to_have_text(["Loading folders…"])
    results.get_by_role("checkbox", name=re.compile("Peña")).check()
    results.get_by_role("checkbox", name=re.compile("Nakamura")).check()
    page.get_by_text("Add to folders…").click()
    expect(picker.locator("option")).to_have_text(
        ["Archive", re.compile("Old$"), "Cardiology", re.compile("2026$"), re.compile("March$")]
    )
    picker.select_option(value=folder_id("March"))
    shot(page, "bulk-add")
    page.get_by_role("button", name="Add to folders", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("2 orders are now in the chosen folders")

    # File the third from its own page, with the form opened in place.
    results.get_by_role("link", name="Okafor, Chidi").click()
    folders_card = page.locator("#folders")
    expect(folders_card).to_contain_text("Not in any of your folders.")
    folders_card.get_by_role("link", name="Add to folders…").click()
    folders_card.get_by_label("2026").check()
    folders_card.get_by_role("button", name="Add to folders").click()
    expect(page.locator("#messages")).to_contain_text("Filed in 1 more folder")
    expect(folders_card.get_by_role("link", name="Cardiology / 2026")).to_be_visible()
    shot(page, "order-page-folders")

    # The order list's folder filter loads the folders when first used (here by the mouse).
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Orders").click()
    page.get_by_text("More filters").click()
    folder_filter = page.get_by_label("Folder", exact=True)
    expect(folder_filter.locator("option")).to_have_text(["Any", "Loading folders…"])
    folder_filter.hover()
    expect(folder_filter.locator("option")).to_have_count(6)  # "Any" and the five folders
    folder_filter.select_option(value=folder_id("March"))
    expect(results).not_to_contain_text("Okafor")
    expect(results).to_contain_text("Peña, Íñigo")
    expect(page).to_have_url(re.compile(f"folder={folder_id('March')}"))
    shot(page, "folder-filter")
    # Reloaded, the page shows the chosen folder; the keyboard reaches the others.
    page.reload()
    expect(folder_filter.locator("option")).to_have_text(["Any", re.compile("March$"), "Loading folders…"])
    expect(folder_filter).to_have_value(folder_id("March"))
    page.locator("#id_flag").focus()
    page.keyboard.press("Tab")
    expect(folder_filter).to_be_focused()
    expect(folder_filter.locator("option")).to_have_count(6)
    expect(folder_filter).to_have_value(folder_id("March"))  # still chosen
    page.keyboard.press("ArrowUp")  # 2026, where the third order is
    expect(folder_filter).to_have_value(folder_id("2026"))
    expect(results).to_contain_text("Okafor, Chidi")
    expect(results).to_contain_text("Peña, Íñigo")  # filed in March, below 2026
    page.get_by_label("Include sub-folders").uncheck()  # 2026 itself only
    expect(page).to_have_url(re.compile("sub_folders=false$"))
    expect(results).not_to_contain_text("Peña")
    expect(results).to_contain_text("Okafor, Chidi")
    shot(page, "folder-filter-keyboard")
    results.get_by_role("link", name="Okafor, Chidi").click()

    # The March page: its orders, and the counts in the tree.
    folders_card.get_by_role("link", name="Cardiology / 2026").click()
    page.locator(".folder-tree").get_by_role("link", name="March").click()
    expect(page.locator("#results")).to_contain_text("Peña, Íñigo")
    expect(page.locator("#results")).to_contain_text("Nakamura, Aiko")
    expect(page.locator("#results")).not_to_contain_text("Okafor")
    cardiology = page.locator(".folder-tree > .tree-node").filter(has_text="Cardiology").first
    expect(cardiology.locator(".folder-count").first).to_contain_text("0 / 3")
    # Open the closed "Archive" branch: htmx loads its sub-folders.
    archive = page.locator(".folder-tree > .tree-node").filter(has_text="Archive")
    archive.locator("summary").first.click(position={"x": 4, "y": 8})
    expect(archive.get_by_role("link", name="Old")).to_be_visible()
    # The order list's filters work inside the folder.
    page.locator("#id_name").fill("naka")
    expect(page.locator("#results")).not_to_contain_text("Peña")
    expect(page.locator("#results")).to_contain_text("Nakamura, Aiko")
    shot(page, "march-folder")
    page.locator("#id_name").fill("")
    expect(page.locator("#results")).to_contain_text("Peña, Íñigo")

    # Take one order out of March (it only leaves the folder).
    page.locator("#results").get_by_role("checkbox", name=re.compile("Nakamura")).check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove from this folder").click()
    expect(page.locator("#messages")).to_contain_text("1 order left the folder")
    expect(page.locator("#results")).not_to_contain_text("Nakamura")

    # Move 2026 (with March inside) under Archive.
    page.locator(".breadcrumbs").get_by_role("link", name="2026").click()
    page.get_by_role("link", name="Move").click()
    page.get_by_label("Move into").select_option(value=folder_id("Archive"))
    page.get_by_role("button", name="Move folder").click()
    expect(page.locator("#messages")).to_contain_text("Archive / 2026")
    expect(page.locator(".breadcrumbs")).to_contain_text("Folders › Archive")
    shot(page, "moved")

    # Delete Archive: the page says what happens, then the orders are all still there.
    page.locator(".breadcrumbs").get_by_role("link", name="Archive").click()
    page.get_by_role("link", name="Delete").click()
    expect(page.locator(".delete-summary")).to_contain_text("Its 3 sub-folders are deleted too.")
    expect(page.locator(".delete-summary")).to_contain_text("only leave them")
    shot(page, "delete-confirm")
    page.get_by_role("button", name="Delete folder").click()
    expect(page.locator("#messages")).to_contain_text("Its orders are still in the order list")
    expect(page.locator(".folder-tree")).not_to_contain_text("Archive")
    expect(page.locator(".folder-tree")).to_contain_text("Cardiology")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Orders").click()
    for name in ("Peña, Íñigo", "Nakamura, Aiko", "Okafor, Chidi"):
        expect(page.locator("#results")).to_contain_text(name)
    page.locator("#results").get_by_role("link", name="Peña, Íñigo").click()
    expect(page.locator("#folders")).to_contain_text("Not in any of your folders.")
    shot(page, "orders-still-there")


def test_folder_choices_load_once_keep_the_choice_and_say_when_they_fail(page, watch, staff_user, orders):
    """The pickers' folders arrive by htmx: one request however many triggers fire, a choice
    made while they travel stays, and a failed load says so instead of "Loading…" forever."""
    api = get_api()
    march = api.create_folder(actor=staff_user, name="Cardiology/2026/March")
    api.add_order_to_folders(actor=staff_user, order_id=orders[0].id, folder_ids=[march.id])
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/folders/options/" in r.url else None)
    held = []
    page.route(OPTIONS, lambda route: held.append(route))  # answered below

    sign_in(page, "sam", PASSWORD)
    page.goto(f"/orders/?folder={march.id}")
    results = page.locator("#results")
    expect(results).to_contain_text("Peña, Íñigo")
    expect(results).not_to_contain_text("Okafor")
    folder_filter = page.get_by_label("Folder", exact=True)
    folder_filter.hover()
    folder_filter.focus()
    folder_filter.click()
    page.keyboard.press("Escape")
    # While the folders travel, the keyboard moves the choice to "Any": every order again.
    page.keyboard.press("ArrowUp")
    expect(folder_filter).to_have_value("")
    expect(results).to_contain_text("Okafor, Chidi")
    assert len(held) == 1
    held[0].continue_()
    expect(folder_filter.locator("option")).to_have_count(4)
    expect(folder_filter).to_have_value("")  # not back to March
    assert len(requests) == 1

    # "Add to folders" when the server fails: the picker says so.
    page.unroute(OPTIONS)
    page.route(OPTIONS, lambda route: route.fulfill(status=503, body="Busy"))
    results.get_by_role("checkbox", name=re.compile("Okafor")).check()
    page.get_by_text("Add to folders…").click()
    expect(page.locator("#bulk-folders option")).to_have_text(["Could not load your folders."])
    shot(page, "load-failed")
    watch.problems = [p for p in watch.problems if "503" not in p]  # the failure was the point
