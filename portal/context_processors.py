"""What every page's layout needs: the signed-in user and the navigation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from portal.access import me
from postdicom import get_api
from postdicom.types import Capability, Role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str | None  # None: the server cannot do this (yet); shown disabled with the reason
    section: str
    reason: str = ""


_NAV: tuple[tuple[StrOrPromise, str | None, str, frozenset[Capability], bool], ...] = (
    # label, url name (None: no page yet), section, capabilities the page needs, administrators only
    (_("Orders"), "orders:list", "orders", frozenset({Capability.SEARCH_ORDERS}), False),
    # the upload form offers the user's institutions (on the cloud backend: the configured ones)
    (
        _("Upload"),
        "orders:upload",
        "upload",
        frozenset({Capability.UPLOAD_DICOM, Capability.LIST_INSTITUTIONS}),
        False,
    ),
    (_("Folders"), "folders:tree", "folders", frozenset({Capability.FOLDER_TREE}), False),
    (_("Shares"), "sharing:mine", "shares", frozenset({Capability.LIST_SHARES}), False),
    (_("Administration"), "portal:admin_home", "admin", frozenset({Capability.LIST_USERS}), True),
)


def _navigation(request: HttpRequest) -> list[NavItem]:
    """The sections the user may open. A wrong URL name raises ``NoReverseMatch`` here, on
    every page, so a test catches it; a missing page or capability shows the entry disabled."""
    capabilities = get_api().capabilities
    role = me(request).role
    items = []
    for label, url_name, section, needed, admin_only in _NAV:
        if admin_only and role is not Role.ADMINISTRATOR:
            continue
        url = reverse(url_name) if url_name and needed <= capabilities else None
        items.append(NavItem(str(label), url, section, "" if url else str(_("Not available on this server yet."))))
    return items


def portal(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        "me": SimpleLazyObject(lambda: me(request)),
        "nav_items": SimpleLazyObject(lambda: _navigation(request)),
    }
