"""How audit events read to people: action names, target kinds and event details.

The service layer records ``AuditAction`` members (stored as ``group.member_added``) and JSON
details; this is the one place that turns them into translated words, for the audit log page
and its filter. Every member needs a label here (a test checks it); an unknown stored action
(from a newer version) still shows, as its machine name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from postdicom.types import AuditAction as A
from postdicom.types import AuditEvent

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
    ("api_key", gettext_lazy("API keys"), gettext_lazy("Every API key event")),
    ("order", gettext_lazy("Orders"), gettext_lazy("Every order event")),
    ("folder", gettext_lazy("Folders"), gettext_lazy("Every folder event")),
    ("upload", gettext_lazy("Uploads"), gettext_lazy("Every upload event")),
    ("share", gettext_lazy("Shares with outside people"), gettext_lazy("Every share event")),
    ("audit", gettext_lazy("Audit log"), gettext_lazy("Every audit log event")),
    ("view_link", gettext_lazy("View links"), gettext_lazy("Every view link event")),
)

ACTION_LABELS: Mapping[A, Promise] = {
    A.AUTH_LOGIN: gettext_lazy("Signed in"),
    A.AUTH_LOGOUT: gettext_lazy("Signed out"),
    A.AUTH_LOGIN_FAILED: gettext_lazy("Failed sign-in"),
    A.AUTH_LOCKED_OUT: gettext_lazy("Sign-in locked after failed attempts"),
    A.AUTH_PASSWORD_CHANGED: gettext_lazy("Password changed by its user"),
    A.AUTH_PASSWORD_RESET: gettext_lazy("Password reset by e-mail link"),
    A.USER_CREATED: gettext_lazy("User created"),
    A.USER_UPDATED: gettext_lazy("User changed"),
    A.USER_ACTIVATED: gettext_lazy("User reactivated"),
    A.USER_DEACTIVATED: gettext_lazy("User deactivated"),
    A.USER_PASSWORD_SET: gettext_lazy("Password set by an administrator"),
    A.GROUP_CREATED: gettext_lazy("User group created"),
    A.GROUP_UPDATED: gettext_lazy("User group changed"),
    A.GROUP_DELETED: gettext_lazy("User group deleted"),
    A.GROUP_MEMBER_ADDED: gettext_lazy("Member added to group"),
    A.GROUP_MEMBER_REMOVED: gettext_lazy("Member removed from group"),
    A.INSTITUTION_CREATED: gettext_lazy("Institution created"),
    A.INSTITUTION_UPDATED: gettext_lazy("Institution changed"),
    A.NODE_CREATED: gettext_lazy("DICOM node created"),
    A.NODE_UPDATED: gettext_lazy("DICOM node changed"),
    A.NODE_DELETED: gettext_lazy("DICOM node deleted"),
    A.FLAG_GROUP_CREATED: gettext_lazy("Flag group created"),
    A.FLAG_GROUP_RENAMED: gettext_lazy("Flag group renamed"),
    A.FLAG_GROUP_DELETED: gettext_lazy("Flag group deleted"),
    A.FLAG_CREATED: gettext_lazy("Flag created"),
    A.FLAG_UPDATED: gettext_lazy("Flag changed"),
    A.FLAG_DELETED: gettext_lazy("Flag deleted"),
    A.API_KEY_CREATED: gettext_lazy("API key created"),
    A.API_KEY_REVOKED: gettext_lazy("API key revoked"),
    A.ORDER_CREATED: gettext_lazy("Order created"),
    A.ORDER_UPDATED: gettext_lazy("Order changed"),
    A.ORDER_DELETED: gettext_lazy("Order moved to the recycle bin"),
    A.ORDER_RESTORED: gettext_lazy("Order restored"),
    A.ORDER_PURGED: gettext_lazy("Order deleted for good"),
    A.ORDER_ASSIGNED: gettext_lazy("Order assigned"),
    A.ORDER_UNASSIGNED: gettext_lazy("Order unassigned"),
    A.ORDER_LINKED: gettext_lazy("Orders linked"),
    A.ORDER_UNLINKED: gettext_lazy("Orders unlinked"),
    A.ORDER_MOVED: gettext_lazy("Order moved to another institution"),
    A.ORDER_FLAG_SET: gettext_lazy("Order flagged"),
    A.ORDER_FLAG_CLEARED: gettext_lazy("Order flag removed"),
    A.ORDER_IMAGES_ADDED: gettext_lazy("Images added to order"),
    A.ORDER_IMAGES_RECEIVED: gettext_lazy("Images received"),
    A.ORDER_IMAGES_DIFFER: gettext_lazy("Images added whose patient details differ from the order's"),
    A.ORDER_DOCUMENT_ADDED: gettext_lazy("Document added to order"),
    A.ORDER_DOCUMENT_DELETED: gettext_lazy("Document removed from order"),
    A.ORDER_DICOMWEB_RETRIEVE: gettext_lazy("Images downloaded over DICOMweb"),
    A.ORDER_DICOMWEB_METADATA: gettext_lazy("Image details read over DICOMweb"),
    A.FOLDER_CREATED: gettext_lazy("Folder created"),
    A.FOLDER_RENAMED: gettext_lazy("Folder renamed"),
    A.FOLDER_UPDATED: gettext_lazy("Folder changed"),
    A.FOLDER_MOVED: gettext_lazy("Folder moved"),
    A.FOLDER_DELETED: gettext_lazy("Folder deleted"),
    A.FOLDER_ORDER_ADDED: gettext_lazy("Order filed in folder"),
    A.FOLDER_ORDER_REMOVED: gettext_lazy("Order removed from folder"),
    A.FOLDER_SHARED: gettext_lazy("Folder shared"),
    A.FOLDER_SHARE_CHANGED: gettext_lazy("Folder share changed"),
    A.FOLDER_SHARE_REVOKED: gettext_lazy("Folder share revoked"),
    A.UPLOAD_STARTED: gettext_lazy("Upload started"),
    A.UPLOAD_FINISHED: gettext_lazy("Upload finished"),
    A.ORDER_VIEWED: gettext_lazy("Order opened"),
    A.ORDER_VIEWER_OPENED: gettext_lazy("Images opened in the viewer"),
    A.ORDER_SEARCHED: gettext_lazy("Orders searched"),
    A.ORDER_DOCUMENT_VIEWED: gettext_lazy("Document opened"),
    A.ORDER_DOCUMENT_DOWNLOADED: gettext_lazy("Document downloaded"),
    A.ORDER_DOWNLOADED: gettext_lazy("Order downloaded (images and documents)"),
    A.FOLDER_VIEWED: gettext_lazy("Folder opened"),
    A.UPLOAD_REPORT_VIEWED: gettext_lazy("Upload report opened"),
    A.AUDIT_EXPORTED: gettext_lazy("Audit log exported"),
    A.AUDIT_ARCHIVED: gettext_lazy("Old audit events archived"),
    A.VIEW_LINK_CREATED: gettext_lazy("View link made"),
    A.VIEW_LINK_USED: gettext_lazy("View link opened"),
    A.VIEW_LINK_REFUSED: gettext_lazy("View link refused"),
    A.VIEW_LINK_REVOKED: gettext_lazy("View link revoked"),
    A.SHARE_CREATED: gettext_lazy("Shared with someone outside"),
    A.SHARE_CHANGED: gettext_lazy("Share changed"),
    A.SHARE_REVOKED: gettext_lazy("Share revoked"),
    A.SHARE_EMAIL_RESENT: gettext_lazy("Share link e-mailed again"),
    A.SHARE_OPENED: gettext_lazy("Share link opened"),
    A.SHARE_PASSWORD_FAILED: gettext_lazy("Wrong password for a share link"),
    A.SHARE_LOCKED: gettext_lazy("Share link locked after wrong passwords"),
    A.SHARE_VIEWED: gettext_lazy("Shared order viewed"),
    A.SHARE_DOWNLOADED: gettext_lazy("Shared images downloaded"),
    A.SHARE_UPLOADED: gettext_lazy("Files sent through an upload link"),
    A.SHARE_REFUSED: gettext_lazy("Share link refused"),
}

TARGET_LABELS: Mapping[str, Promise] = {
    "user": gettext_lazy("User"),
    "group": gettext_lazy("User group"),
    "institution": gettext_lazy("Institution"),
    "node": gettext_lazy("DICOM node"),
    "flag_group": gettext_lazy("Flag group"),
    "flag": gettext_lazy("Flag"),
    "api_key": gettext_lazy("API key"),
    "order": gettext_lazy("Order"),
    "folder": gettext_lazy("Folder"),
    "upload": pgettext_lazy("noun: one upload batch", "Upload"),
    "view_link": gettext_lazy("View link"),
    "share": gettext_lazy("Share"),
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
    "document": gettext_lazy("document"),
    "kind": gettext_lazy("type"),
    "size": gettext_lazy("size"),
    "images": gettext_lazy("images"),
    "series": gettext_lazy("series"),
    "modalities": gettext_lazy("modalities"),
    "modality": gettext_lazy("modality"),
    "accession_number": gettext_lazy("accession number"),
    "order_date": gettext_lazy("order date"),
    "source": gettext_lazy("source"),
    "from_institution": gettext_lazy("from"),
    "to_institution": gettext_lazy("to"),
    "scheduled_equipment_cleared": gettext_lazy("scheduled equipment cleared"),
    "left_group": gettext_lazy("left its linked orders"),
    "linked_with": gettext_lazy("linked with"),
    "dissolved": gettext_lazy("link dissolved"),
    "replaced": gettext_lazy("replaced"),
    "purge_after_days": gettext_lazy("deleted for good after (days)"),
    "deleted_at": gettext_lazy("moved to the recycle bin"),
    "by_task": gettext_lazy("by the scheduled clean-up"),
    "filters": gettext_lazy("filters"),
    "found": gettext_lazy("orders found"),
    "shown": gettext_lazy("shown"),
    "events": gettext_lazy("events"),
    "patient_name": gettext_lazy("patient name"),
    "patient_id": gettext_lazy("patient ID"),
    "other_patient_id": gettext_lazy("other patient ID"),
    "institution_ids": gettext_lazy("institutions"),
    "date_from": gettext_lazy("from"),
    "date_to": gettext_lazy("to"),
    "birth_date_from": gettext_lazy("born from"),
    "birth_date_to": gettext_lazy("born until"),
    "statuses": gettext_lazy("statuses"),
    "flag_id": gettext_lazy("flag"),
    "flagged": gettext_lazy("flagged"),
    "assigned_to_me": gettext_lazy("assigned to me"),
    "sort": gettext_lazy("sorted by"),
    "page": gettext_lazy("page"),
    "text": gettext_lazy("words"),
    "action": gettext_lazy("action"),
    "actor_id": gettext_lazy("user"),
    "birth_date": gettext_lazy("birth date"),
    "sex": gettext_lazy("sex"),
    "study_description": gettext_lazy("study description"),
    "order_time": gettext_lazy("order time"),
    "fields": gettext_lazy("patient details that differ"),
    "study_uid": gettext_lazy("Study Instance UID"),
    "series_uid": gettext_lazy("Series Instance UID"),
    "instances": gettext_lazy("images"),
    "documents": gettext_lazy("documents"),
    "prefix": gettext_lazy("key starts with"),
    "audience": gettext_lazy("audience"),
    "password_email": gettext_lazy("password sent to"),
    "orders": gettext_lazy("orders"),
    "downloadable": gettext_lazy("downloads allowed"),
    "open_limit": gettext_lazy("open limit"),
    "password": gettext_lazy("password"),
    "attempt": gettext_lazy("wrong passwords in a row"),
    "seconds": gettext_lazy("locked for (seconds)"),
    "opens": gettext_lazy("opens"),
    "order": gettext_lazy("order"),
    "files": gettext_lazy("files"),
    "what": gettext_lazy("what"),
    "link_to": gettext_lazy("link to"),
    "for_address": gettext_lazy("works only from"),
    "from_address": gettext_lazy("opened from"),
    "order_count": gettext_lazy("orders"),
    "reason": gettext_lazy("why"),
    "use": gettext_lazy("asked for"),
}

#: The words for the values of some detail keys (view links).
DETAIL_VALUES: Mapping[str, Mapping[str, Promise]] = {
    "link_to": {
        "order": gettext_lazy("an order"),
        "patient": gettext_lazy("a patient's orders"),
        "folder": gettext_lazy("a folder's orders"),
    },
    "reason": {
        "unknown": gettext_lazy("no such link"),
        "expired": gettext_lazy("expired"),
        "revoked": gettext_lazy("revoked"),
        "other_address": gettext_lazy("opened from another address"),
        "withdrawn": gettext_lazy("nothing left to show"),
    },
    "use": {"page": gettext_lazy("the page"), "images": gettext_lazy("images")},
}

#: Detail keys that hold internal ids (kept in the CSV export, never shown on a page).
INTERNAL_DETAIL = frozenset({"user_id", "group_id", "upload", "document_id", "actor_id", "institution_ids", "flag_id"})

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def action_label(action: str) -> str:
    """ "Signed in" for ``auth.login``; an unknown action shows as recorded."""
    label = ACTION_LABELS.get(action)  # type: ignore[call-overload]  # a StrEnum key matches its string
    return str(label) if label is not None else action


def target_label(target_type: str) -> str:
    """ "User group" for ``group``; an unknown kind shows as recorded."""
    label = TARGET_LABELS.get(target_type)
    return str(label) if label is not None else target_type


def action_choices() -> list[tuple[str, Any]]:
    """Choices for the action filter: every family, each with "all of them" and its actions."""
    choices: list[tuple[str, Any]] = [("", _("All actions"))]
    for family, heading, everything in ACTION_FAMILIES:
        members = [(action.value, label) for action, label in ACTION_LABELS.items() if action.family == family]
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


def _is_id(value: object) -> bool:
    if isinstance(value, list | tuple):
        return bool(value) and all(_is_id(v) for v in value)
    return isinstance(value, str) and bool(_UUID.match(value))


def describe_detail(detail: Mapping[str, object]) -> list[tuple[str, str]]:
    """An event's detail as (label, text) lines: ``{"changes": {"role": ["staff", "limited"]}}``
    reads "role: staff → limited"; lists are joined; empty values and internal ids are left
    out (a list of linked orders shows as their number), a document's size in KB/MB."""
    lines: list[tuple[str, str]] = []
    detail = dict(detail)
    if detail.get("user_name") and detail.get("user"):  # "Ana Pérez (ana)"
        detail["user"] = f"{detail.pop('user_name')} ({detail['user']})"
    for key, value in detail.items():
        if value in (None, "", [], {}) or key in INTERNAL_DETAIL or key == "user_name":
            continue
        if key == "linked_with" and isinstance(value, list):
            lines.append((_detail_key(key), ngettext("%(n)d order", "%(n)d orders", len(value)) % {"n": len(value)}))
            continue
        if _is_id(value):
            continue
        if key == "size" and isinstance(value, int):
            lines.append((_detail_key(key), str(filesizeformat(value))))
            continue
        if key == "source" and value == "upload":
            lines.append((_detail_key(key), _("an upload")))
            continue
        if key in DETAIL_VALUES and isinstance(value, str):
            word = DETAIL_VALUES[key].get(value)
            lines.append((_detail_key(key), str(word) if word is not None else value))
            continue
        if key == "kind" and isinstance(value, str):
            lines.append((_detail_key(key), value.upper()))
            continue
        if isinstance(value, dict) and key == "filters":
            value = {k: v for k, v in value.items() if k not in INTERNAL_DETAIL and not _is_id(v)}
            if not value:
                continue
        if key == "changes" and isinstance(value, dict):
            for field, pair in value.items():
                if _is_change(pair):
                    lines.append((_detail_key(str(field)), f"{_text(pair[0])} → {_text(pair[1])}"))
                else:
                    lines.append((_detail_key(str(field)), _text(pair)))
            continue
        if key == "fields" and isinstance(value, list):  # names of fields, worded like keys
            lines.append((_detail_key(key), ", ".join(_detail_key(str(v)) for v in value)))
            continue
        lines.append((_detail_key(key), _text(value)))
    return lines


# --- An order's history: one sentence per event ----------------------------------------------------


def who(event: AuditEvent) -> str:
    """The actor's name; events of the portal itself (a scheduled task) are Rayport's."""
    if event.actor_name == "system" and not event.actor_full_name:
        return _("Rayport")
    if event.actor_name == "visitor" and not event.actor_full_name:
        return _("Visitor of a share link")
    return event.who


def _person(detail: Mapping[str, object]) -> str:
    return str(detail.get("user_name") or detail.get("user") or "?")


def history_line(event: AuditEvent) -> str:
    """One event of an order's history as a sentence in the reader's language, with names:
    "Ana Pérez assigned this order to the group Radiology"."""
    d, name, action = event.detail, who(event), event.action
    words: dict[str, object] = {"who": name}
    if action == A.ORDER_CREATED:
        if d.get("source") == "upload":
            return _("%(who)s created this order by uploading images") % words
        return _("%(who)s created this order") % words
    if action == A.ORDER_IMAGES_ADDED:
        images = int(str(d.get("images") or 0))
        line = ngettext("%(who)s uploaded %(n)d image", "%(who)s uploaded %(n)d images", images) % {
            **words,
            "n": images,
        }
        series, modalities = int(str(d.get("series") or 0)), d.get("modalities") or []
        if series:
            shape = ngettext("%(n)d series", "%(n)d series", series) % {"n": series}
            kinds = ", ".join(str(m) for m in modalities) if isinstance(modalities, list) else ""
            line += f" ({kinds}, {shape})" if kinds else f" ({shape})"
        return line
    if action == A.ORDER_IMAGES_RECEIVED:
        return _("The first images arrived (uploaded by %(who)s): the order is now “Images received”") % words
    if action == A.ORDER_DOCUMENT_ADDED:
        kind = str(d.get("kind") or "").upper()
        return _("%(who)s attached the document “%(name)s” (%(kind)s)") % {
            **words,
            "name": d.get("document"),
            "kind": kind,
        }
    if action in (A.ORDER_ASSIGNED, A.ORDER_UNASSIGNED):
        if d.get("group"):
            sentence = (
                _("%(who)s assigned this order to the group %(group)s")
                if action == A.ORDER_ASSIGNED
                else _("%(who)s took this order away from the group %(group)s")
            )
            return sentence % {**words, "group": d["group"]}
        sentence = (
            _("%(who)s assigned this order to %(name)s")
            if action == A.ORDER_ASSIGNED
            else _("%(who)s took this order away from %(name)s")
        )
        return sentence % {**words, "name": _person(d)}
    if action == A.ORDER_LINKED:
        others = d.get("linked_with")
        n = len(others) if isinstance(others, list) else 0
        return ngettext(
            "%(who)s linked this order with %(n)d other order", "%(who)s linked this order with %(n)d other orders", n
        ) % {**words, "n": n}
    if action == A.ORDER_MOVED:
        return _("%(who)s moved this order from %(source)s to %(target)s") % {
            **words,
            "source": d.get("from_institution"),
            "target": d.get("to_institution"),
        }
    if action == A.ORDER_FLAG_SET:
        names = {**words, "flag": d.get("flag"), "group": d.get("group"), "old": d.get("replaced")}
        if d.get("replaced"):
            return _("%(who)s changed the flag %(group)s from “%(old)s” to “%(flag)s”") % names
        return _("%(who)s flagged this order “%(flag)s” (%(group)s)") % names
    if action == A.ORDER_FLAG_CLEARED:
        return _("%(who)s removed the flag “%(flag)s” (%(group)s)") % {
            **words,
            "flag": d.get("flag"),
            "group": d.get("group"),
        }
    plain = {
        A.ORDER_UNLINKED: _("%(who)s unlinked this order"),
        A.ORDER_DELETED: _("%(who)s moved this order to the recycle bin"),
        A.ORDER_RESTORED: _("%(who)s restored this order from the recycle bin"),
        A.ORDER_PURGED: _("%(who)s deleted this order for good"),
    }.get(action)  # type: ignore[call-overload]
    if plain is not None:
        return str(plain) % words
    # An event without its own sentence yet: its name and its details.
    details = "; ".join(f"{label}: {text}" for label, text in describe_detail(d))
    line = _("%(who)s: %(what)s") % {**words, "what": action_label(action)}
    return f"{line} ({details})" if details else line
