"""Signing in: a wrong password, the first password of a new user, the static files, the keyboard."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e


def test_wrong_password_shows_the_error(page, admin_user):
    page.goto("/accounts/login/")
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("The user name or password is not right")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_label("User name")).to_have_value("ada")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()  # ready for another try
    shot(page, "error")


def test_static_files_load_without_csp_violations(page, admin_user):
    sign_in(page, "ada", PASSWORD)
    # htmx.min.js and rayport.js came from /static/ and ran under the page's CSP.
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("htmx.config.allowEval") is False
    # rayport.css applied (the top bar's brand colour comes only from there).
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor") == "rgb(11, 92, 116)"


def test_new_user_signs_in_with_the_first_password(page, admin_user, clinic):
    sign_in(page, "ada", PASSWORD)
    page.goto("/administration/users/new/")
    page.get_by_label("User name").fill("carl")
    page.get_by_label("Clínica Central").check()
    page.get_by_label("First password").fill("a-long-enough-secret-7")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("heading", name="carl")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "carl", "a-long-enough-secret-7")
    expect(page.get_by_role("banner")).to_contain_text("carl")
    # Staff do not see the administration.
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Administration")).to_have_count(0)
    response = page.goto("/administration/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_skip_link_and_focus_are_visible(page, admin_user):
    sign_in(page, "ada", PASSWORD)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["y"] >= 0
    assert skip.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    shot(page, "skip-link")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#content$"))
    # The next Tab lands inside the main content, not back in the top bar.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"


def test_the_watch_reports_csp_violations_and_script_errors(page, watch):
    """The guard every browser test relies on: it notices what the CSP blocks and JS errors."""
    page.goto("/accounts/login/")
    page.evaluate("document.body.setAttribute('style', 'color: red')")  # an inline style: blocked
    page.evaluate("setTimeout(() => { throw new Error('boom') }, 0)")
    for _ in range(60):  # the reports arrive asynchronously
        if len(watch.problems) >= 2:
            break
        page.wait_for_timeout(50)
    assert any(p.startswith("CSP violation") for p in watch.problems), watch.problems
    assert any("boom" in p for p in watch.problems), watch.problems
    watch.problems.clear()
