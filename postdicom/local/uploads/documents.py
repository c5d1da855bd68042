"""Clinical documents on an order (UploadDocumentFiles): PDF, JPEG, PNG, BMP and MP4.

The type comes from the file's first bytes (``postdicom.dicom.documents``), never from its
name; anything else is refused with a reason naming what it looks like. Anyone who can see
the order may attach documents and read them. Files are stored under
``documents/<order>/<document>.<ext>`` and served as attachments by the portal.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING
from uuid import UUID, uuid4

from django.db import transaction
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.dicom.documents import DocumentRefused, DocumentType, check_document
from postdicom.errors import InvalidInput, NotFound
from postdicom.local import convert
from postdicom.local.audit import SAME_READ_WITHIN, record, record_read
from postdicom.local.models import DocumentRecord, PatientOrder
from postdicom.local.orders.visibility import order_label, order_row
from postdicom.local.uploads.storage import delete_files, document_name, open_stored, put_file
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: Longest document name kept (the rest of a longer name is cut, keeping its end).
NAME_LIMIT = 255


def order_documents(order: PatientOrder) -> tuple[t.Document, ...]:
    rows = DocumentRecord.objects.filter(order=order).select_related("uploaded_by").order_by("uploaded_at", "id")
    return tuple(convert.document(r, order.uuid) for r in rows)


def _display_name(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/"))
    cleaned = "".join(c for c in base if c >= " " and c not in '"').strip()
    return cleaned[-NAME_LIMIT:] or "document"


def _check_all(files: Sequence[t.UploadFile]) -> list[tuple[t.UploadFile, DocumentType]]:
    if not files:
        raise InvalidInput({"files": _("Choose at least one file.")})
    errors: list[str] = []
    checked: list[tuple[t.UploadFile, DocumentType]] = []
    for upload in files:
        try:
            checked.append((upload, check_document(upload.path)))
        except DocumentRefused as refused:
            errors.append(f"{_display_name(upload.name)}: {refused.reason}")
        except OSError:
            errors.append(f"{_display_name(upload.name)}: {_('The file could not be opened.')}")
    if errors:
        raise InvalidInput({"files": errors})
    return checked


def add_documents(actor: User, order_id: UUID, files: Sequence[t.UploadFile]) -> tuple[t.Document, ...]:
    """Store every file or none: one refused file refuses the lot, with every reason."""
    order = order_row(actor, order_id)
    checked = _check_all(files)
    stored: list[str] = []
    created: list[t.Document] = []
    try:
        with transaction.atomic():
            for upload, kind in checked:
                doc_uuid = uuid4()
                name = document_name(order.uuid, doc_uuid, kind.extension)
                size, digest = put_file(name, upload.path, key=str(doc_uuid))
                stored.append(name)
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
                record(
                    actor,
                    AuditAction.ORDER_DOCUMENT_ADDED,
                    target_type="order",
                    target_id=order.uuid,
                    target_label=order_label(order),
                    document=row.name,
                    kind=row.kind,
                    size=size,
                )
                created.append(convert.document(row, order.uuid))
    except BaseException:
        delete_files(stored)
        raise
    return tuple(created)


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
    return convert.document(row, order.uuid), handle
