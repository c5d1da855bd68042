"""The administrator's round trip, as a person does it: sign in, create a user (fixing the
form on the way), create a user group, add the user with the htmx search and remove them
again, switch to Spanish and back, sign out."""

import re

import pytest
from playwright.sync_api import expect

from postdicom.local.models import AuditRecord
from tests.conftest import PASSWORD
from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e


def _create_user(page):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Administration").click()
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="New user").click()
    expect(page.get_by_role("heading", name="New user")).to_be_visible()

    # First try: a user name that is taken (in another case) and a password that is too short.
    page.get_by_label("User name").fill("ADA")
    page.get_by_label("First name").fill("Bea")
    page.get_by_label("Last name").fill("Bauer")
    page.get_by_label("E-mail").fill("bea@clinic.test")
    page.get_by_label("Limited access").check()
    page.get_by_label("Clínica Central").check()
    page.get_by_label("First password").fill("short")
    page.get_by_role("button", name="Create user").click()

    expect(page.locator("#id_username_error")).to_have_text("This user name is already taken.")
    expect(page.get_by_label("First name")).to_have_value("Bea")  # typed values are kept
    expect(page.get_by_label("Limited access")).to_be_checked()
    expect(page.get_by_label("Clínica Central")).to_be_checked()
    shot(page, "taken-name")

    page.get_by_label("User name").fill("bea")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#id_password_error")).to_contain_text("too short")
    expect(page.locator("#id_username_error")).to_have_count(0)
    shot(page, "short-password")

    page.get_by_label("First password").fill("a-long-enough-secret-7")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("heading", name="Bea Bauer")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Bea Bauer can now sign in.")
    shot(page, "user-created")

    # The list's search filters as one types (htmx swaps the table and pushes the address).
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Users").click()
    page.get_by_label("Search").fill("bau")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("Bea Bauer")
    expect(page).to_have_url(re.compile(r"q=bau"))


def _create_group_and_manage_members(page):
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="User groups").click()
    page.get_by_role("link", name="New group").first.click()
    page.get_by_label("Name").fill("Referring doctors")
    page.get_by_label("Description").fill("Doctors who send patients to us.")
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("heading", name="Referring doctors")).to_be_visible()

    # Back on the list, the group is there; open it from there.
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="User groups").click()
    page.get_by_role("link", name="Referring doctors").click()
    members = page.locator("#members")
    expect(members).to_contain_text("No members yet")

    page.evaluate("window.stillThisPage = true")  # gone if anything below reloads the page
    page.get_by_label("Find people to add").fill("bau")
    candidates = page.locator("#candidates")
    expect(candidates).not_to_contain_text("Ada Admin")  # the search has run
    expect(candidates.get_by_role("checkbox", name=re.compile("Bea Bauer"))).to_be_visible()
    shot(page, "candidates")
    candidates.get_by_role("button", name="Add Bea Bauer").click()

    expect(members.get_by_role("link", name="Bea Bauer")).to_be_visible()
    expect(page.locator("#membership-status")).to_contain_text("Bea Bauer added to Referring doctors.")
    expect(page.locator("#members-title .badge")).to_have_text("1")
    shot(page, "member-added")

    members.get_by_role("button", name="Remove Bea Bauer").click()
    expect(members.get_by_role("link", name="Bea Bauer")).to_have_count(0)
    expect(members).to_contain_text("No members yet")
    expect(page.locator("#membership-status")).to_contain_text("Bea Bauer removed from Referring doctors.")
    assert page.evaluate("window.stillThisPage") is True, "adding and removing should not reload the page"
    shot(page, "member-removed")

    actions = set(AuditRecord.objects.filter(target_label__contains="Referring").values_list("action", flat=True))
    assert {"group.created", "group.member_added", "group.member_removed"} <= actions


def _switch_language(page):
    banner = page.get_by_role("banner")
    banner.get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page).to_have_url(re.compile(r"/administration/groups/[0-9a-f-]+/$"))  # back where we were
    banner.locator(".brand").click()  # a plain navigation: the choice is kept
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(banner.get_by_role("button", name="Español")).to_have_attribute("aria-pressed", "true")
    shot(page, "spanish")
    banner.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(banner.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")


def test_administrator_round_trip(page, admin_user, clinic):
    sign_in(page, "ada", PASSWORD)
    _create_user(page)
    _create_group_and_manage_members(page)
    _switch_language(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto("/administration/users/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/administration/users/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
