"""Clinical documents on an order (UploadDocumentFiles): PDF, JPEG, PNG, BMP and MP4.

The type comes from the file's first bytes (``postdicom.dicom.documents``), never from its
name; anything else is refused with a reason naming what it looks like, and so is a file over
``settings.RAYPORT_DOCUMENT_MAX_BYTES``. Each file stands on its own: a refused file never
keeps the others of the same upload out. Anyone who can see the order may attach documents and
read them; staff of the order's institution and administrators may remove them (for good,
after a confirmation: see docs/decisions.md). Files are stored under
``documents/<order>/<document>.<ext>`` and served as attachments by the portal.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING
from uuid import UUID, uuid4

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.dicom.documents import DocumentRefused, DocumentType, check_document, check_size
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local import convert
from postdicom.local.audit import SAME_READ_WITHIN, record, record_read
from postdicom.local.models import DocumentRecord, PatientOrder
from postdicom.local.orders.visibility import can_manage, order_label, order_row
from postdicom.local.uploads.storage import delete_files, document_name, open_stored, put_files
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: Longest document name kept (the rest of a longer name is cut, keeping its end).
NAME_LIMIT = 255


def order_documents(order: PatientOrder, *, can_delete: bool = False) -> tuple[t.Document, ...]:
    rows = DocumentRecord.objects.filter(order=order).select_related("uploaded_by").order_by("uploaded_at", "id")
    return tuple(convert.document(r, order.uuid, can_delete=can_delete) for r in rows)


def _display_name(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/"))
    cleaned = "".join(c for c in base if c >= " " and c not in '"').strip()
    return cleaned[-NAME_LIMIT:] or "document"


def max_bytes() -> int:
    """The largest document accepted, in bytes."""
    return int(settings.RAYPORT_DOCUMENT_MAX_BYTES)


def _check(upload: t.UploadFile) -> DocumentType:
    """The file's document type; ``DocumentRefused`` (with the reason) otherwise."""
    try:
        check_size(os.path.getsize(upload.path), max_bytes())
        return check_document(upload.path)
    except OSError:
        raise DocumentRefused(_("The file could not be opened.")) from None


def _store(actor: User, order: PatientOrder, upload: t.UploadFile, kind: DocumentType, can_delete: bool) -> t.Document:
    """Store one checked file and its row (with its audit event) in one transaction; the
    stored file is removed again when the transaction does not commit."""
    doc_uuid = uuid4()
    name = document_name(order.uuid, doc_uuid, kind.extension)
    try:
        with transaction.atomic():
            ((size, digest),) = put_files([(name, upload.path, str(doc_uuid))])
            row = DocumentRecord.objects.create(
                uuid=doc_uuid,
                order=order,
                name=_display_name(upload.name),
                kind=kind.kind,
                content_type=kind.content_type,
                size=size,
                sha256=digest,
                file_name=name,
                uploaded_by=actor,
            )
            _record(actor, AuditAction.ORDER_DOCUMENT_ADDED, order, row)
    except BaseException:
        delete_files([name])
        raise
    return convert.document(row, order.uuid, can_delete=can_delete)


def _record(actor: User, action: AuditAction, order: PatientOrder, row: DocumentRecord) -> None:
    """The audit event of a document added to or removed from ``order``."""
    record(
        actor,
        action,
        target_type="order",
        target_id=order.uuid,
        target_label=order_label(order),
        document=row.name,
        kind=row.kind,
        size=row.size,
    )


def add_documents(actor: User, order_id: UUID, files: Sequence[t.UploadFile]) -> t.DocumentUpload:
    """Store each accepted file; name each refused one with its reason."""
    order = order_row(actor, order_id)
    if not files:
        raise InvalidInput({"files": _("Choose at least one file.")})
    can_delete = can_manage(actor, order)
    added: list[t.Document] = []
    refused: list[t.RefusedDocument] = []
    for upload in files:
        try:
            kind = _check(upload)
        except DocumentRefused as refusal:
            refused.append(t.RefusedDocument(name=_display_name(upload.name), reason=refusal.reason))
        else:
            added.append(_store(actor, order, upload, kind, can_delete))
    return t.DocumentUpload(added=tuple(added), refused=tuple(refused))


def delete_document(actor: User, order_id: UUID, document_id: UUID) -> t.Document:
    """Remove the document's row (with an audit event) and, once that commits, its file;
    return what was removed."""
    with transaction.atomic():
        order = order_row(actor, order_id, for_update=True)
        rows = DocumentRecord.objects.select_related("uploaded_by").select_for_update(of=("self",))
        row = rows.filter(order=order, uuid=document_id).first()
        if row is None:
            raise NotFound(_("No such document."))
        if not can_manage(actor, order):
            raise Forbidden(_("Only staff of the order's institution and administrators can remove documents."))
        row.delete()
        _record(actor, AuditAction.ORDER_DOCUMENT_DELETED, order, row)
        names = [row.file_name]
        transaction.on_commit(lambda: delete_files(names))
    return convert.document(row, order.uuid)


def open_document(
    actor: User, order_id: UUID, document_id: UUID, *, download: bool = False
) -> tuple[t.Document, IO[bytes]]:
    """The document and its opened file; the read is recorded on the order once per actor,
    document and way (opened or downloaded) within ``SAME_READ_WITHIN``, however many byte
    ranges a player or a download manager asks for."""
    order = order_row(actor, order_id)
    row = DocumentRecord.objects.select_related("uploaded_by").filter(order=order, uuid=document_id).first()
    if row is None:
        raise NotFound(_("No such document."))
    try:
        handle = open_stored(row.file_name)
    except FileNotFoundError:
        raise NotFound(_("The document's file is missing.")) from None
    record_read(
        actor,
        AuditAction.ORDER_DOCUMENT_DOWNLOADED if download else AuditAction.ORDER_DOCUMENT_VIEWED,
        target_type="order",
        target_id=order.uuid,
        target_label=order_label(order),
        once_within=SAME_READ_WITHIN,
        same={"document_id": str(row.uuid)},
        document=row.name,
    )
    return convert.document(row, order.uuid, can_delete=can_manage(actor, order)), handle
