"""Words for shares on the sharing pages: audience, state, and access-log entries."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from postdicom.types import Share, ShareAccessEntry, ShareAccessKind, ShareKind, ShareRefusal

register = template.Library()

_KINDS = {
    ShareKind.EMAIL: gettext_lazy("E-mail"),
    ShareKind.LINK: gettext_lazy("Link"),
    ShareKind.UPLOAD_EMAIL: gettext_lazy("Upload only, by e-mail"),
    ShareKind.UPLOAD_LINK: gettext_lazy("Upload only, by link"),
    ShareKind.USER: gettext_lazy("Colleague"),
    ShareKind.GROUP: gettext_lazy("User group"),
}

_ACCESS = {
    ShareAccessKind.OPENED: gettext_lazy("Opened"),
    ShareAccessKind.FAILED_PASSWORD: gettext_lazy("Wrong password"),
    ShareAccessKind.LOCKED: gettext_lazy("Locked after wrong passwords"),
    ShareAccessKind.VIEWED: gettext_lazy("Viewed"),
    ShareAccessKind.DOWNLOADED: gettext_lazy("Downloaded"),
    ShareAccessKind.UPLOADED: gettext_lazy("Files sent"),
    ShareAccessKind.REFUSED: gettext_lazy("Refused"),
}

#: Why a visit was refused (the detail of a ``refused`` entry), in the owner's words.
_REFUSALS = {
    ShareRefusal.EXPIRED: gettext_lazy("the link had expired"),
    ShareRefusal.REVOKED: gettext_lazy("the share had been ended"),
    ShareRefusal.USED_UP: gettext_lazy("no opens were left"),
}


@register.filter
def share_kind_label(kind: ShareKind) -> str:
    return str(_KINDS.get(kind, kind))


@register.filter
def access_kind_label(kind: ShareAccessKind) -> str:
    return str(_ACCESS.get(kind, kind))


@register.filter
def access_detail(entry: ShareAccessEntry) -> str:
    """An entry's detail: for a refused visit, why, in words; else as logged (an order, a
    file count)."""
    if entry.kind is ShareAccessKind.REFUSED and entry.detail in set(ShareRefusal):
        return str(_REFUSALS.get(ShareRefusal(entry.detail), entry.detail))
    return entry.detail


@register.filter
def share_state(share: Share) -> str:
    """ "Works", "Revoked", "Expired" or "Used up"."""
    if share.revoked:
        return _("Revoked")
    if share.expired:
        return _("Expired")
    if share.used_up:
        return _("Used up")
    return _("Works")
