"""What every page's layout needs: the signed-in user and the navigation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from portal.access import me
from postdicom import get_api
from postdicom.types import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str | None  # None: the server cannot do this (yet); shown disabled with the reason
    section: str
    reason: str = ""


_NAV = (
    # label, url name, section, capability the page needs, administrators only
    (_("Orders"), "orders:list", "orders", "search_orders", False),
    (_("Upload"), "orders:upload", "upload", "upload_dicom", False),
    (_("Folders"), "folders:tree", "folders", "list_folders", False),
    (_("Shares"), "sharing:mine", "shares", "share_orders", False),
    (_("Administration"), "portal:admin_home", "admin", "list_users", True),
)


def _navigation(request: HttpRequest) -> list[NavItem]:
    capabilities = get_api().capabilities
    role = me(request).role
    items = []
    for label, url_name, section, capability, admin_only in _NAV:
        if admin_only and role is not Role.ADMINISTRATOR:
            continue
        try:
            url = reverse(url_name) if capability in capabilities else None
        except NoReverseMatch:
            url = None
        items.append(NavItem(str(label), url, section, "" if url else str(_("Not available on this server yet."))))
    return items


def portal(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        "me": SimpleLazyObject(lambda: me(request)),
        "nav_items": SimpleLazyObject(lambda: _navigation(request)),
    }
