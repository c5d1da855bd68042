"""An order's documents and the archive of its files, on every backend
(tests/contract/conftest.py)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pydicom
import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import Institution
from postdicom.types import ARCHIVE_ORDERS_MAX, Capability
from tests.contract.scenes import store_ct, upload_file
from tests.missing import offered
from tests.postdicom.local.orders_setup import create, uid
from tests.uploads.files import pdf_bytes, png_bytes


def test_documents_are_attached_by_content_and_read_back(
    api: PostDicomApi, data_dir: Path, staff_user: User, outsider: User, clinic: Institution, tmp_path: Path
) -> None:
    offered(api, Capability.UPLOAD_DOCUMENTS)
    order = create(staff_user, clinic)
    files = [
        upload_file(tmp_path, "informe_médico.pdf", pdf_bytes()),
        upload_file(tmp_path, "foto.pdf", png_bytes()),
        upload_file(tmp_path, "notes.txt", b"just text"),
    ]
    outcome = api.upload_documents(actor=staff_user, order_id=order.id, files=files)
    assert [(d.name, d.kind, d.can_delete) for d in outcome.added] == [
        ("informe_médico.pdf", "pdf", True),
        ("foto.pdf", "png", True),
    ]
    assert [r.name for r in outcome.refused] == ["notes.txt"]
    with pytest.raises(InvalidInput) as refused:
        api.upload_documents(actor=staff_user, order_id=order.id, files=[])
    assert set(refused.value.field_errors) == {"files"}
    with pytest.raises(NotFound):
        api.upload_documents(actor=outsider, order_id=order.id, files=[upload_file(tmp_path, "a.pdf", pdf_bytes())])
    offered(api, Capability.OPEN_DOCUMENT)
    document, content = api.open_document(actor=staff_user, order_id=order.id, document_id=outcome.added[0].id)
    with content:
        assert (document.content_type, content.read()) == ("application/pdf", pdf_bytes())
    with pytest.raises(NotFound):
        api.open_document(actor=outsider, order_id=order.id, document_id=document.id)
    other = create(staff_user, clinic, patient_id="P-2")
    with pytest.raises(NotFound):
        api.open_document(actor=staff_user, order_id=other.id, document_id=document.id)


def test_staff_remove_a_document_and_limited_users_may_not(
    api: PostDicomApi,
    data_dir: Path,
    staff_user: User,
    limited_user: User,
    outsider: User,
    clinic: Institution,
    tmp_path: Path,
) -> None:
    offered(api, Capability.DELETE_DOCUMENT)
    order = create(staff_user, clinic)
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=uid(limited_user))
    (document,) = (
        get_api()
        .upload_documents(actor=staff_user, order_id=order.id, files=[upload_file(tmp_path, "a.pdf", pdf_bytes())])
        .added
    )
    with pytest.raises(Forbidden):
        api.delete_document(actor=limited_user, order_id=order.id, document_id=document.id)
    with pytest.raises(NotFound):
        api.delete_document(actor=outsider, order_id=order.id, document_id=document.id)
    removed = api.delete_document(actor=staff_user, order_id=order.id, document_id=document.id)
    assert (removed.id, removed.name) == (document.id, "a.pdf")
    assert get_api().order_properties(actor=staff_user, order_id=order.id).documents == ()
    with pytest.raises(NotFound):
        api.delete_document(actor=staff_user, order_id=order.id, document_id=document.id)


def test_an_archive_lists_a_dicomdir_the_images_and_the_documents(
    api: PostDicomApi,
    data_dir: Path,
    monkeypatch: Any,
    staff_user: User,
    outsider: User,
    clinic: Institution,
    tmp_path: Path,
) -> None:
    offered(api, Capability.OPEN_ORDERS_ARCHIVE)
    dataset, order_id = store_ct(staff_user, clinic, tmp_path, monkeypatch)
    get_api().upload_documents(
        actor=staff_user, order_id=order_id, files=[upload_file(tmp_path, "con:informe?.pdf", pdf_bytes())]
    )
    archive = api.open_orders_archive(actor=staff_user, order_ids=[order_id])
    paths = [entry.path for entry in archive.entries]
    assert (archive.order_ids, archive.image_count, archive.document_count) == ((order_id,), 1, 1)
    assert archive.filename.endswith(".zip")
    assert paths[0] == "DICOMDIR"
    assert paths[1] == "DICOM/P0000001/S0000001/SE000001/I0000001"
    assert paths[2].startswith("DOCUMENTS/")
    assert not set(paths[2]) & set(':?"<>|*')
    with archive.entries[1].open() as image:
        assert pydicom.dcmread(image).SOPInstanceUID == dataset.SOPInstanceUID
    with archive.entries[0].open() as directory:
        assert pydicom.dcmread(io.BytesIO(directory.read())).DirectoryRecordSequence[0].DirectoryRecordType == "PATIENT"
    with pytest.raises(NotFound):
        api.open_orders_archive(actor=outsider, order_ids=[order_id])
    with pytest.raises(InvalidInput) as refused:
        api.open_orders_archive(actor=staff_user, order_ids=[])
    assert set(refused.value.field_errors) == {"order_ids"}
    with pytest.raises(InvalidInput):
        api.open_orders_archive(actor=staff_user, order_ids=[uuid.uuid4() for _ in range(ARCHIVE_ORDERS_MAX + 1)])
    # An order with nothing stored: said so, never an empty archive.
    empty = create(staff_user, clinic, patient_id="P-EMPTY")
    with pytest.raises(InvalidInput) as nothing:
        api.open_orders_archive(actor=staff_user, order_ids=[empty.id])
    assert "nothing to download" in nothing.value.message
