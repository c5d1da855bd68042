"""Every page at desktop and tablet size: it renders, nothing spills sideways, and a screenshot
of it lands in test-artifacts/screenshots/ for a person to look at.

Pages of topics that this server does not have yet (their URL name does not resolve) are left
out, so the sweep grows by itself as pages are added to ``PAGES``.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import NoReverseMatch, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from postdicom.contract import PostDicomApi
from postdicom.local import LocalBackend
from postdicom.local.access import profile_of
from postdicom.local.models import Institution
from postdicom.types import DicomNodeDraft, FlagDraft
from tests.conftest import PASSWORD
from tests.e2e.conftest import DESKTOP, TABLET, shot, sign_in

pytestmark = pytest.mark.e2e

# (screenshot name, URL name, URL kwargs: "user" / "group" stand for the scene's objects)
Page = list[tuple[str, str | None, dict[str, str]]]
SIGNED_OUT: Page = [
    ("login", "login", {}),
    ("password-reset", "password_reset", {}),
    ("password-reset-sent", "password_reset_done", {}),
    ("password-reset-complete", "password_reset_complete", {}),
    ("not-found-signed-out", None, {}),
]
SIGNED_IN: Page = [
    ("home", "home", {}),
    ("admin-overview", "portal:admin_home", {}),
    ("users", "portal:user_list", {}),
    ("user-new", "portal:user_create", {}),
    ("user-detail", "portal:user_detail", {"user_id": "user"}),
    ("user-edit", "portal:user_edit", {"user_id": "user"}),
    ("user-password", "portal:user_password", {"user_id": "user"}),
    ("password-change", "password_change", {}),
    ("password-change-done", "password_change_done", {}),
    ("groups", "portal:group_list", {}),
    ("group-new", "portal:group_create", {}),
    ("group-detail", "portal:group_detail", {"group_id": "group"}),
    ("group-edit", "portal:group_edit", {"group_id": "group"}),
    ("institutions", "portal:institution_list", {}),
    ("institution-new", "portal:institution_create", {}),
    ("nodes", "portal:node_list", {}),
    ("node-new", "portal:node_create", {}),
    ("flags", "portal:flag_list", {}),
    ("audit", "portal:audit_log", {}),
    ("not-found", None, {}),
]


def _url(name, kwargs, scene):
    if name is None:
        return "/no/such/page/"
    try:
        return reverse(name, kwargs={k: scene[v] for k, v in kwargs.items()})
    except (NoReverseMatch, KeyError):
        return None


def _fits(page, label):
    """Nothing makes the page scroll sideways (wide tables scroll inside their own box)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{label} is {overflow}px wider than the window"


@pytest.fixture
def scene(api, admin_user, staff_user, limited_user, outsider, clinic):
    """Something on every page: a group with members, a node, a flag group; the audit log
    records their creation."""
    group = api.create_user_group(actor=admin_user, name="Radiologists", description="Read the CT and MR studies.")
    members = [profile_of(u).uuid for u in (staff_user, limited_user)]
    api.add_group_members(actor=admin_user, group_id=group.id, user_ids=members)
    clinic_id = Institution.objects.get(pk=clinic.pk).uuid
    api.create_dicom_node(
        actor=admin_user,
        draft=DicomNodeDraft(name="CT scanner", ae_title="CT01", host="10.0.0.20", port=104, institution_id=clinic_id),
    )
    flags = api.create_flag_group(actor=admin_user, name="Priority")
    api.create_flag(actor=admin_user, group_id=flags.id, draft=FlagDraft(name="Urgent", color="#b42318"))
    return {"user": profile_of(staff_user).uuid, "group": group.id}


@pytest.mark.parametrize("size", [DESKTOP, TABLET], ids=["desktop", "tablet"])
def test_every_page_renders_and_fits(page, scene, size, watch, admin_user):
    page.set_viewport_size(size)
    for name, url_name, kwargs in SIGNED_OUT:
        url = _url(url_name, kwargs, scene)
        page.goto(url)
        _fits(page, name)
        shot(page, name)

    reset = reverse(
        "password_reset_confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(1)), "token": "bad-token"},
    )
    page.goto(reset)
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    shot(page, "password-reset-bad-link")
    reset = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(admin_user.pk)),
            "token": default_token_generator.make_token(admin_user),
        },
    )
    page.goto(reset)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    _fits(page, "password reset form")
    shot(page, "password-reset-choose")

    page.goto("/accounts/login/")
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password", exact=True).fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    shot(page, "login-error")

    sign_in(page, "ada", PASSWORD)
    for name, url_name, kwargs in SIGNED_IN:
        url = _url(url_name, kwargs, scene)
        if url is None:
            continue
        page.goto(url)
        _fits(page, name)
        shot(page, name)

    # The top bar: one row on a desktop, two tidy rows on a tablet, in either language.
    page.goto(reverse("portal:admin_home"))
    for language in ("Español", "English"):
        page.get_by_role("banner").get_by_role("button", name=language).click()
        expect(page.get_by_role("banner").get_by_role("button", name=language)).to_have_attribute(
            "aria-pressed", "true"
        )
        height = page.get_by_role("banner").bounding_box()["height"]
        assert height <= (70 if size is DESKTOP else 130), f"top bar is {height}px high in {language}"
        _fits(page, f"admin overview in {language}")
        shot(page, f"topbar-{language}")

    page.goto(reverse("portal:user_create"))
    page.get_by_label("User name").fill("bad name")
    page.get_by_label("E-mail").fill("not-an-address")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    _fits(page, "user form with errors")
    shot(page, "user-new-errors")

    page.goto(reverse("password_change"))
    page.get_by_role("button", name="Change password").click()
    shot(page, "password-change-errors")

    watch.check()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "sam", PASSWORD)
    response = page.goto(reverse("portal:admin_home"))
    assert response.status == 403
    _fits(page, "403")
    shot(page, "forbidden")


class AccountsOnlyBackend(LocalBackend):
    """A server without the order list (as a backend that lacks it would be)."""

    search_orders = PostDicomApi.search_orders


@pytest.mark.parametrize("size", [DESKTOP, TABLET], ids=["desktop", "tablet"])
def test_start_page_when_the_server_has_no_order_list(page, settings, admin_user, clinic, size):
    settings.POSTDICOM = {"BACKEND": f"{__name__}.AccountsOnlyBackend", "OPTIONS": {}}
    page.set_viewport_size(size)
    sign_in(page, "ada", PASSWORD)
    expect(page.get_by_role("heading", name="Welcome, Ada Admin")).to_be_visible()
    expect(page.get_by_text("they manage all of them")).to_be_visible()
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="Orders")).to_have_count(0)  # shown, but not a link
    expect(main_nav.get_by_text("Orders")).to_have_attribute("aria-disabled", "true")
    page.get_by_role("link", name="Open administration").click()
    expect(page.get_by_role("heading", name="Administration", exact=True)).to_be_visible()
    page.go_back()
    _fits(page, "start page")
    shot(page, "home")
