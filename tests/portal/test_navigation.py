"""The main navigation (``portal.context_processors``): sections by role and capability, and
a wrong URL name fails loudly instead of quietly showing the section as unavailable."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from portal import context_processors
from postdicom.types import Capability


def _nav(user):
    request = RequestFactory().get("/")
    request.user = user
    return {item.section: item for item in context_processors.portal(request)["nav_items"]}


def test_staff_get_their_sections_and_no_administration(staff_user):
    nav = _nav(staff_user)
    assert nav["orders"].url == reverse("orders:list")
    assert nav["folders"].url == reverse("folders:tree")
    assert nav["shares"].url == reverse("sharing:mine")
    assert "admin" not in nav


def test_a_section_the_backend_cannot_serve_is_disabled_with_the_reason(staff_user, monkeypatch):
    from postdicom.contract import PostDicomApi
    from postdicom.local.backend import LocalBackend

    monkeypatch.setattr(LocalBackend, "list_shares", PostDicomApi.list_shares)  # as if it had none
    nav = _nav(staff_user)
    assert nav["shares"].url is None
    assert nav["shares"].reason == "Not available on this server yet."


def test_administrators_get_administration(admin_user):
    assert _nav(admin_user)["admin"].url == reverse("portal:admin_home")


def test_a_misspelt_url_name_raises(staff_user, monkeypatch):
    wrong = (("Orders", "orders:lst", "orders", frozenset({Capability.SEARCH_ORDERS}), False),)
    monkeypatch.setattr(context_processors, "_NAV", wrong)
    with pytest.raises(NoReverseMatch):
        _nav(staff_user)
