"""The upload methods of ``LocalBackend`` (see the contract for what each promises)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from postdicom import handoff
from postdicom import types as t
from postdicom.context import order_scope
from postdicom.errors import Unavailable
from postdicom.local import audit, convert
from postdicom.local.models.uploads import SHARE_SOURCE
from postdicom.local.uploads import archives, documents, preview, receive, report
from postdicom.local.uploads.storage import remove_tree

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class UploadsMixin:
    def read_dicom_files(
        self, *, actor: User, files: Sequence[t.UploadFile], institution_id: UUID | None = None
    ) -> tuple[t.DicomFileSummary, ...]:
        return preview.read_files(actor, files, institution_id)

    def start_upload(
        self,
        *,
        actor: User,
        institution_id: UUID,
        folder_id: UUID | None = None,
        anonymize: t.Anonymization | None = None,
    ) -> t.UploadBatchInfo:
        # Started inside ``only_orders`` (an outside share's upload page, acting as the share's
        # owner): the batch joins no order but those it makes itself (``indexing``).
        source = SHARE_SOURCE if order_scope() is not None else "browser"
        batch = receive.new_batch(actor, institution_id, folder_id, anonymize, source=source)
        return report.batch_info(batch)

    def add_upload_files(self, *, actor: User, batch_id: UUID, files: Sequence[t.UploadFile]) -> t.UploadBatchInfo:
        return report.batch_info(receive.add_files(actor, batch_id, files))

    def finish_upload(self, *, actor: User, batch_id: UUID) -> t.UploadBatchInfo:
        return report.batch_info(receive.finish(actor, batch_id))

    def upload_report(self, *, actor: User, batch_id: UUID, page: int = 1, page_size: int = 100) -> t.UploadReport:
        return report.build_report(actor, batch_id, page, page_size)

    def upload_progress(self, *, actor: User, batch_id: UUID) -> t.UploadBatchInfo:
        return report.batch_info(receive.open_batch(actor, batch_id))

    def upload_dicom(
        self,
        *,
        actor: User,
        institution_id: UUID,
        files: Sequence[t.UploadFile],
        folder_id: UUID | None = None,
        anonymize: t.Anonymization | None = None,
        store_now: bool = False,
    ) -> t.UploadReceipt:
        handoff.require_files(files)
        if store_now and not any(archives.is_zip(Path(f.path)) for f in files):
            return self._store_now(actor, institution_id, files, folder_id, anonymize)
        with transaction.atomic():
            batch = receive.new_batch(actor, institution_id, folder_id, anonymize, source="api")
            items = receive.take_files(batch, list(files))
            receive.close_taken(batch, queue_work=not store_now)
        if store_now:
            from postdicom.local.uploads.ingest import store_batch

            done = store_batch(batch, [item.pk for item in items])
            return t.UploadReceipt(
                batch_id=batch.uuid, file_count=len(files), files=tuple(convert.upload_file_state(i) for i in done)
            )
        return t.UploadReceipt(batch_id=batch.uuid, file_count=len(files))

    def _store_now(
        self,
        actor: User,
        institution_id: UUID,
        files: Sequence[t.UploadFile],
        folder_id: UUID | None,
        anonymize: t.Anonymization | None,
    ) -> t.UploadReceipt:
        """The batch made, stored and closed in one transaction (``ingest.store_taken``):
        done and answered, or rolled back whole (``Unavailable`` when a concurrent purge
        took an order or series it joined: sending again is safe)."""
        from postdicom.local.uploads.indexing import uploader_checked
        from postdicom.local.uploads.ingest import store_taken

        batch = None
        committed = False
        try:
            with transaction.atomic(), audit.written_together():
                batch = receive.new_batch(actor, institution_id, folder_id, anonymize, source="api")
                with uploader_checked(batch):  # new_batch has just checked the uploader's institution
                    done = store_taken(batch, receive.take_files(batch, list(files)))
            committed = True
        except IntegrityError:
            raise Unavailable(_("The images' order changed while they were being stored. Send them again.")) from None
        finally:
            if batch is not None and not committed:
                remove_tree(str(receive.batch_dir(batch)))  # rolled back: the received files go too
        return t.UploadReceipt(
            batch_id=batch.uuid, file_count=len(files), files=tuple(convert.upload_file_state(i) for i in done)
        )

    def upload_documents(self, *, actor: User, order_id: UUID, files: Sequence[t.UploadFile]) -> t.DocumentUpload:
        return documents.add_documents(actor, order_id, files)

    def open_document(
        self, *, actor: User, order_id: UUID, document_id: UUID, download: bool = False
    ) -> tuple[t.Document, IO[bytes]]:
        return documents.open_document(actor, order_id, document_id, download=download)

    def delete_document(self, *, actor: User, order_id: UUID, document_id: UUID) -> t.Document:
        return documents.delete_document(actor, order_id, document_id)
