"""DICOM nodes of the account (GetDicomNodeList), managed by administrators."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import InvalidInput, NotFound
from postdicom.local import convert
from postdicom.local.access import institutions_of, require_admin
from postdicom.local.audit import record
from postdicom.local.models import DicomNodeRecord, Institution
from postdicom.local.validation import clean_name
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")  # used with fullmatch: "$" allows a final "\n"


def _nodes(actor: User) -> QuerySet[DicomNodeRecord]:
    return DicomNodeRecord.objects.select_related("institution").filter(institution__in=institutions_of(actor))


def _node_row(actor: User, node_id: UUID) -> DicomNodeRecord:
    try:
        return _nodes(actor).get(uuid=node_id)
    except DicomNodeRecord.DoesNotExist:
        raise NotFound(_("No such DICOM node.")) from None


def _valid_host(host: str) -> bool:
    """An IPv4/IPv6 address or a DNS name. A name whose last label is all digits is a
    mistyped address (``10.0.0.999``), not a host name (RFC 3696 §2), so it is refused."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    if labels[-1].isdigit():
        return False
    return 0 < len(host) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels)


def _check(draft: t.DicomNodeDraft, *, exclude_pk: int | None) -> tuple[dict[str, object], Institution]:
    errors: dict[str, str] = {}
    try:
        name = clean_name(draft.name)
    except InvalidInput as exc:
        errors.update({k: v[0] for k, v in exc.field_errors.items()})
        name = ""
    ae = draft.ae_title.strip()
    if not ae:
        errors["ae_title"] = _("This field is required.")
    elif len(ae) > 16 or not all(32 <= ord(c) < 127 for c in ae) or "\\" in ae:
        errors["ae_title"] = _("An AE title is 1 to 16 plain characters (letters, digits, spaces, no backslash).")
    host = draft.host.strip()
    if not _valid_host(host):
        errors["host"] = _("Enter a host name or an IP address, like pacs.clinic.local or 10.0.0.5.")
    if not 1 <= draft.port <= 65535:
        errors["port"] = _("A port is a number from 1 to 65535.")
    institution = Institution.objects.filter(uuid=draft.institution_id).first()
    if institution is None:
        errors["institution_id"] = _("Choose an institution.")
    elif ae and "ae_title" not in errors:
        clash = DicomNodeRecord.objects.filter(institution=institution, ae_title=ae)
        if exclude_pk is not None:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            errors["ae_title"] = _("Another node of this institution already uses this AE title.")
    if errors:
        raise InvalidInput(errors)
    assert institution is not None
    values = {
        "name": name,
        "ae_title": ae,
        "host": host,
        "port": draft.port,
        "description": draft.description.strip()[:250],
    }
    return values, institution


class NodesMixin:
    def list_dicom_nodes(self, *, actor: User) -> tuple[t.DicomNode, ...]:
        return tuple(convert.dicom_node(n) for n in _nodes(actor))

    def get_dicom_node(self, *, actor: User, node_id: UUID) -> t.DicomNode:
        return convert.dicom_node(_node_row(actor, node_id))

    def create_dicom_node(self, *, actor: User, draft: t.DicomNodeDraft) -> t.DicomNode:
        require_admin(actor)
        values, institution = _check(draft, exclude_pk=None)
        row = DicomNodeRecord.objects.create(institution=institution, **values)
        record(actor, AuditAction.NODE_CREATED, target_type="node", target_id=row.uuid, target_label=str(row))
        return convert.dicom_node(row)

    def update_dicom_node(self, *, actor: User, node_id: UUID, draft: t.DicomNodeDraft) -> t.DicomNode:
        require_admin(actor)
        row = _node_row(actor, node_id)
        before = str(row)
        values, institution = _check(draft, exclude_pk=row.pk)
        for key, value in values.items():
            setattr(row, key, value)
        row.institution = institution
        row.save()
        record(
            actor,
            AuditAction.NODE_UPDATED,
            target_type="node",
            target_id=row.uuid,
            target_label=str(row),
            before=before,
        )
        return convert.dicom_node(row)

    def delete_dicom_node(self, *, actor: User, node_id: UUID) -> None:
        require_admin(actor)
        row = _node_row(actor, node_id)
        record(actor, AuditAction.NODE_DELETED, target_type="node", target_id=row.uuid, target_label=str(row))
        row.delete()
