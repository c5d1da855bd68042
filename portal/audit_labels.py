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
from django.utils.translation import gettext_lazy

#: Families of actions (the part before the dot), in the order the filter lists them: the
#: family's heading and the name of "every event of this family".
ACTION_FAMILIES: tuple[tuple[str, Promise, Promise], ...] = (
    ("auth", gettext_lazy("Sign-in"), gettext_lazy("Every sign-in event")),
    ("user", gettext_lazy("Users"), gettext_lazy("Every user event")),
    ("group", gettext_lazy("User groups"), gettext_lazy("Every user group event")),
    ("institution", gettext_lazy("Institutions"), gettext_lazy("Every institution event")),
    ("node", gettext_lazy("DICOM nodes"), gettext_lazy("Every DICOM node event")),
    ("flag_group", gettext_lazy("Flag groups"), gettext_lazy("Every flag group event")),
    ("flag", gettext_lazy("Flags"), gettext_lazy("Every flag event")),
    ("order", gettext_lazy("Orders"), gettext_lazy("Every order event")),
    ("folder", gettext_lazy("Folders"), gettext_lazy("Every folder event")),
    ("upload", gettext_lazy("Uploads"), gettext_lazy("Every upload event")),
)

ACTION_LABELS: Mapping[str, Promise] = {
    "auth.login": gettext_lazy("Signed in"),
    "auth.logout": gettext_lazy("Signed out"),
    "auth.login_failed": gettext_lazy("Failed sign-in"),
    "auth.locked_out": gettext_lazy("Sign-in locked after failed attempts"),
    "auth.password_changed": gettext_lazy("Password changed by its user"),
    "auth.password_reset": gettext_lazy("Password reset by e-mail link"),
    "user.created": gettext_lazy("User created"),
    "user.updated": gettext_lazy("User changed"),
    "user.activated": gettext_lazy("User reactivated"),
    "user.deactivated": gettext_lazy("User deactivated"),
    "user.password_set": gettext_lazy("Password set by an administrator"),
    "group.created": gettext_lazy("User group created"),
    "group.updated": gettext_lazy("User group changed"),
    "group.deleted": gettext_lazy("User group deleted"),
    "group.member_added": gettext_lazy("Member added to group"),
    "group.member_removed": gettext_lazy("Member removed from group"),
    "institution.created": gettext_lazy("Institution created"),
    "institution.updated": gettext_lazy("Institution changed"),
    "node.created": gettext_lazy("DICOM node created"),
    "node.updated": gettext_lazy("DICOM node changed"),
    "node.deleted": gettext_lazy("DICOM node deleted"),
    "flag_group.created": gettext_lazy("Flag group created"),
    "flag_group.renamed": gettext_lazy("Flag group renamed"),
    "flag_group.deleted": gettext_lazy("Flag group deleted"),
    "flag.created": gettext_lazy("Flag created"),
    "flag.updated": gettext_lazy("Flag changed"),
    "flag.deleted": gettext_lazy("Flag deleted"),
    "order.created": gettext_lazy("Order created"),
    "order.deleted": gettext_lazy("Order moved to the recycle bin"),
    "order.restored": gettext_lazy("Order restored"),
    "order.purged": gettext_lazy("Order deleted for good"),
    "order.assigned": gettext_lazy("Order assigned"),
    "order.unassigned": gettext_lazy("Order unassigned"),
    "order.linked": gettext_lazy("Orders linked"),
    "order.unlinked": gettext_lazy("Orders unlinked"),
    "order.moved": gettext_lazy("Order moved to another institution"),
    "order.flag_set": gettext_lazy("Order flagged"),
    "order.flag_cleared": gettext_lazy("Order flag removed"),
    "order.images_added": gettext_lazy("Images added to order"),
    "order.images_received": gettext_lazy("Images received"),
    "order.document_added": gettext_lazy("Document added to order"),
    "order.dicomweb_retrieve": gettext_lazy("Images downloaded over DICOMweb"),
    "order.dicomweb_metadata": gettext_lazy("Image details read over DICOMweb"),
    "folder.created": gettext_lazy("Folder created"),
    "folder.renamed": gettext_lazy("Folder renamed"),
    "folder.updated": gettext_lazy("Folder changed"),
    "folder.moved": gettext_lazy("Folder moved"),
    "folder.deleted": gettext_lazy("Folder deleted"),
    "folder.order_added": gettext_lazy("Order filed in folder"),
    "folder.order_removed": gettext_lazy("Order removed from folder"),
    "folder.shared": gettext_lazy("Folder shared"),
    "folder.share_changed": gettext_lazy("Folder share changed"),
    "folder.share_revoked": gettext_lazy("Folder share revoked"),
    "upload.started": gettext_lazy("Upload started"),
    "upload.finished": gettext_lazy("Upload finished"),
}

TARGET_LABELS: Mapping[str, Promise] = {
    "user": gettext_lazy("User"),
    "group": gettext_lazy("User group"),
    "institution": gettext_lazy("Institution"),
    "node": gettext_lazy("DICOM node"),
    "flag_group": gettext_lazy("Flag group"),
    "flag": gettext_lazy("Flag"),
    "order": gettext_lazy("Order"),
    "folder": gettext_lazy("Folder"),
    "upload": gettext_lazy("Upload"),
}

#: Names of detail keys that read better than the key itself.
DETAIL_LABELS: Mapping[str, Promise] = {
    "before": gettext_lazy("before"),
    "renamed_from": gettext_lazy("renamed from"),
    "role": gettext_lazy("role"),
    "institutions": gettext_lazy("institutions"),
    "institution": gettext_lazy("institution"),
    "members": gettext_lazy("members"),
    "user": gettext_lazy("user"),
    "group": gettext_lazy("group"),
    "flag": gettext_lazy("flag"),
    "flags": gettext_lazy("flags"),
    "color": gettext_lazy("colour"),
    "active": gettext_lazy("active"),
    "name": gettext_lazy("name"),
    "address": gettext_lazy("address"),
    "username": gettext_lazy("user name"),
    "first_name": gettext_lazy("first name"),
    "last_name": gettext_lazy("last name"),
    "email": gettext_lazy("e-mail"),
    "description": gettext_lazy("description"),
    "owner": gettext_lazy("owner"),
    "may_edit": gettext_lazy("may edit"),
    "may_reshare": gettext_lazy("may share further"),
    "includes_restricted_orders": gettext_lazy("includes restricted orders"),
    "expires": gettext_lazy("last day"),
    "reshared": gettext_lazy("shared further by a recipient"),
    "with_the_share_it_came_from": gettext_lazy("with the share it came from"),
    "shares_ended": gettext_lazy("shares ended"),
    "study_uid": gettext_lazy("Study Instance UID"),
    "series_uid": gettext_lazy("Series Instance UID"),
    "instances": gettext_lazy("images"),
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
