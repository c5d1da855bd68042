"""Template helpers for things the service layer returns."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import sizes
from postdicom.types import Role, display_patient_name

register = template.Library()


@register.filter
def file_size(size: int) -> str:
    """ "64819" → "63.3 KB" ("63,3 KB" in Spanish): see ``portal.sizes``."""
    return sizes.file_size(size)


@register.filter
def role_label(role: Role | str) -> str:
    """The role's name in the user's language."""
    labels = {
        Role.ADMINISTRATOR: _("Administrator"),
        Role.STAFF: _("Staff"),
        Role.LIMITED: _("Limited access"),
    }
    return labels.get(Role(role), str(role))


_ADMIN_TABS = (
    ("overview", "portal:admin_home", gettext_lazy("Overview")),
    ("users", "portal:user_list", gettext_lazy("Users")),
    ("groups", "portal:group_list", gettext_lazy("User groups")),
    ("institutions", "portal:institution_list", gettext_lazy("Institutions")),
    ("nodes", "portal:node_list", gettext_lazy("DICOM nodes")),
    ("flags", "portal:flag_list", gettext_lazy("Flags")),
    ("api_keys", "portal:api_key_list", gettext_lazy("API keys")),
    ("audit", "portal:audit_log", gettext_lazy("Audit log")),
)


@register.inclusion_tag("portal/_admin_tabs.html")
def admin_tabs(current: str) -> dict[str, object]:
    """The administration sub-navigation, with ``current`` marked."""
    tabs = []
    for key, url_name, label in _ADMIN_TABS:
        try:
            tabs.append({"key": key, "url": reverse(url_name), "label": label})
        except NoReverseMatch:
            continue
    return {"tabs": tabs, "current": current}


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: object) -> str:
    """The current query string with ``changes`` applied (empty values remove a key)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def patient_name(name: str) -> str:
    """``LAST^FIRST^MIDDLE`` as people read it: "Last, First Middle"."""
    return display_patient_name(name or "")


@register.simple_tag(takes_context=True)
def sort_link(context: template.Context, column: str) -> str:
    """The query string that sorts by ``column``, flipping direction when already sorted by it."""
    current = context["request"].GET.get("sort", "")
    target = f"-{column}" if current == column else column
    return query_with(context, sort=target, page="")
