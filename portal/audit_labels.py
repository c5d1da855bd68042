"""How audit events read to people: action names, target kinds and event details.

The service layer records machine names (``group.member_added``) and JSON details; this is
the one place that turns them into translated words, for the audit log page and its filter.
An action missing here still shows (as its machine name), so a new backend event is never
hidden; add it here to give it a proper name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

#: Families of actions (the part before the dot), in the order the filter lists them: the
#: family's heading and the name of "every event of this family".
ACTION_FAMILIES: tuple[tuple[str, Promise, Promise], ...] = (
    ("auth", _lazy("Sign-in"), _lazy("Every sign-in event")),
    ("user", _lazy("Users"), _lazy("Every user event")),
    ("group", _lazy("User groups"), _lazy("Every user group event")),
    ("institution", _lazy("Institutions"), _lazy("Every institution event")),
    ("node", _lazy("DICOM nodes"), _lazy("Every DICOM node event")),
    ("flag_group", _lazy("Flag groups"), _lazy("Every flag group event")),
    ("flag", _lazy("Flags"), _lazy("Every flag event")),
    ("order", _lazy("Orders"), _lazy("Every order event")),
    ("folder", _lazy("Folders"), _lazy("Every folder event")),
    ("upload", _lazy("Uploads"), _lazy("Every upload event")),
)

ACTION_LABELS: Mapping[str, Promise] = {
    "auth.login": _lazy("Signed in"),
    "auth.logout": _lazy("Signed out"),
    "auth.login_failed": _lazy("Failed sign-in"),
    "auth.locked_out": _lazy("Sign-in locked after failed attempts"),
    "auth.password_changed": _lazy("Password changed by its user"),
    "auth.password_reset": _lazy("Password reset by e-mail link"),
    "user.created": _lazy("User created"),
    "user.updated": _lazy("User changed"),
    "user.activated": _lazy("User reactivated"),
    "user.deactivated": _lazy("User deactivated"),
    "user.password_set": _lazy("Password set by an administrator"),
    "group.created": _lazy("User group created"),
    "group.updated": _lazy("User group changed"),
    "group.deleted": _lazy("User group deleted"),
    "group.member_added": _lazy("Member added to group"),
    "group.member_removed": _lazy("Member removed from group"),
    "institution.created": _lazy("Institution created"),
    "institution.updated": _lazy("Institution changed"),
    "node.created": _lazy("DICOM node created"),
    "node.updated": _lazy("DICOM node changed"),
    "node.deleted": _lazy("DICOM node deleted"),
    "flag_group.created": _lazy("Flag group created"),
    "flag_group.renamed": _lazy("Flag group renamed"),
    "flag_group.deleted": _lazy("Flag group deleted"),
    "flag.created": _lazy("Flag created"),
    "flag.updated": _lazy("Flag changed"),
    "flag.deleted": _lazy("Flag deleted"),
    "order.created": _lazy("Order created"),
    "order.deleted": _lazy("Order moved to the recycle bin"),
    "order.restored": _lazy("Order restored"),
    "order.purged": _lazy("Order deleted for good"),
    "order.assigned": _lazy("Order assigned"),
    "order.unassigned": _lazy("Order unassigned"),
    "order.linked": _lazy("Orders linked"),
    "order.unlinked": _lazy("Orders unlinked"),
    "order.moved": _lazy("Order moved to another institution"),
    "order.flag_set": _lazy("Order flagged"),
    "order.flag_cleared": _lazy("Order flag removed"),
    "order.images_added": _lazy("Images added to order"),
    "order.images_received": _lazy("Images received"),
    "order.document_added": _lazy("Document added to order"),
    "folder.created": _lazy("Folder created"),
    "folder.renamed": _lazy("Folder renamed"),
    "folder.updated": _lazy("Folder changed"),
    "folder.moved": _lazy("Folder moved"),
    "folder.deleted": _lazy("Folder deleted"),
    "folder.order_added": _lazy("Order filed in folder"),
    "folder.order_removed": _lazy("Order removed from folder"),
    "upload.started": _lazy("Upload started"),
    "upload.finished": _lazy("Upload finished"),
}

TARGET_LABELS: Mapping[str, Promise] = {
    "user": _lazy("User"),
    "group": _lazy("User group"),
    "institution": _lazy("Institution"),
    "node": _lazy("DICOM node"),
    "flag_group": _lazy("Flag group"),
    "flag": _lazy("Flag"),
    "order": _lazy("Order"),
    "folder": _lazy("Folder"),
    "upload": _lazy("Upload"),
}

#: Names of detail keys that read better than the key itself.
DETAIL_LABELS: Mapping[str, Promise] = {
    "before": _lazy("before"),
    "renamed_from": _lazy("renamed from"),
    "role": _lazy("role"),
    "institutions": _lazy("institutions"),
    "institution": _lazy("institution"),
    "members": _lazy("members"),
    "user": _lazy("user"),
    "group": _lazy("group"),
    "flag": _lazy("flag"),
    "flags": _lazy("flags"),
    "color": _lazy("colour"),
    "active": _lazy("active"),
    "name": _lazy("name"),
    "address": _lazy("address"),
    "username": _lazy("user name"),
    "first_name": _lazy("first name"),
    "last_name": _lazy("last name"),
    "email": _lazy("e-mail"),
    "description": _lazy("description"),
}


def action_label(action: str) -> str:
    """ "Signed in" for ``auth.login``; an unknown action shows as recorded."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def target_label(target_type: str) -> str:
    """ "User group" for ``group``; an unknown kind shows as recorded."""
    label = TARGET_LABELS.get(target_type)
    return str(label) if label is not None else target_type


def action_choices() -> list[tuple[str, Any]]:
    """Choices for the action filter: every family, each with "all of them" and its actions."""
    choices: list[tuple[str, Any]] = [("", _("All actions"))]
    for family, heading, everything in ACTION_FAMILIES:
        members = [(action, label) for action, label in ACTION_LABELS.items() if action.split(".", 1)[0] == family]
        choices.append((str(heading), [(family, everything), *members]))
    return choices


def _detail_key(key: str) -> str:
    label = DETAIL_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ")


def _is_change(value: object) -> bool:
    return isinstance(value, list | tuple) and len(value) == 2 and all(not isinstance(v, dict | list) for v in value)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value) if value else "—"
    if isinstance(value, dict):
        return "; ".join(f"{_detail_key(str(k))}: {_text(v)}" for k, v in value.items())
    return str(value)


def describe_detail(detail: Mapping[str, object]) -> list[tuple[str, str]]:
    """An event's detail as (label, text) lines: ``{"changes": {"role": ["staff", "limited"]}}``
    reads "role: staff → limited"; lists are joined; empty values are left out."""
    lines: list[tuple[str, str]] = []
    for key, value in detail.items():
        if value in (None, "", [], {}):
            continue
        if key == "changes" and isinstance(value, dict):
            for field, pair in value.items():
                if _is_change(pair):
                    lines.append((_detail_key(str(field)), f"{_text(pair[0])} → {_text(pair[1])}"))
                else:
                    lines.append((_detail_key(str(field)), _text(pair)))
            continue
        lines.append((_detail_key(key), _text(value)))
    return lines
