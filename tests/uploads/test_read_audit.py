"""Reads of patient data are audited (HIPAA §164.312(b)): who looked at which record.

Opening an order, searching, opening or downloading a document, a byte-range read, an upload
report, a folder page and the audit CSV export each write one event; the many range requests
of one video, or the refreshes of an upload page, are one read."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.local.models import AuditRecord, DocumentRecord
from postdicom.types import READ_ACTIONS
from tests.orders.conftest import new_order
from tests.uploads.conftest import upload
from tests.uploads.files import mp4_bytes, pdf_bytes, shipped

pytestmark = pytest.mark.django_db

VIDEO = mp4_bytes() + bytes(i % 251 for i in range(200_000))


@pytest.fixture
def order(staff_user, clinic):
    return new_order(staff_user, clinic, accession_number="READ-1", patient_name="PÉREZ^ANA")


@pytest.fixture
def documents(staff_client, order):
    for name, data, kind in (("report.pdf", pdf_bytes(), "application/pdf"), ("clip.mp4", VIDEO, "video/mp4")):
        upload_file = SimpleUploadedFile(name, data, content_type=kind)
        staff_client.post(reverse("orders:document_upload", args=[order.id]), {"attachments": [upload_file]})
    return {d.kind: d for d in DocumentRecord.objects.all()}


def _reads(after: int = 0) -> list[tuple[str, str, str]]:
    rows = AuditRecord.objects.filter(pk__gt=after, action__in=READ_ACTIONS).order_by("id")
    return [(r.action, r.actor_name, r.target_type) for r in rows]


def _last_id() -> int:
    return AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_every_read_of_patient_data_writes_one_event(
    staff_client, staff_user, admin_client, order, documents, clinic, tmp_path
):
    folder = get_api().create_folder(actor=staff_user, name="Reads")
    get_api().add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[folder.id])
    receipt = upload(staff_user, clinic, [shipped("CT_small.dcm")], tmp_path)
    pdf, mp4 = documents["pdf"], documents["mp4"]
    start = _last_id()

    def ok(response):
        assert response.status_code in (200, 206), response.status_code
        if response.streaming:
            b"".join(response.streaming_content)

    ok(staff_client.get(reverse("orders:detail", args=[order.id])))
    ok(staff_client.get(reverse("orders:list"), {"name": "perez"}))
    ok(staff_client.get(reverse("orders:document_view", args=[order.id, pdf.uuid])))
    ok(staff_client.get(reverse("orders:document_download", args=[order.id, pdf.uuid])))
    ok(staff_client.get(reverse("orders:document_view", args=[order.id, mp4.uuid]), HTTP_RANGE="bytes=0-"))
    ok(staff_client.get(reverse("orders:upload_batch", args=[receipt.batch_id])))
    ok(staff_client.get(reverse("folders:detail", args=[folder.id])))
    ok(admin_client.get(reverse("portal:audit_export")))

    assert _reads(start) == [
        ("order.viewed", "sam", "order"),
        ("order.searched", "sam", ""),
        ("order.document_viewed", "sam", "order"),
        ("order.document_downloaded", "sam", "order"),
        ("order.document_viewed", "sam", "order"),
        ("upload.report_viewed", "sam", "upload"),
        ("folder.viewed", "sam", "folder"),
        ("audit.exported", "ada", ""),
    ]
    rows = AuditRecord.objects.filter(pk__gt=start).order_by("id")
    viewed = rows.get(action="order.viewed")
    assert (viewed.target_id, viewed.target_label) == (str(order.id), "PÉREZ, ANA · READ-1")
    assert rows.get(action="order.searched").detail == {"filters": {"patient_name": "perez"}, "found": 1, "shown": 1}
    assert rows.get(action="order.document_downloaded").detail == {
        "document_id": str(pdf.uuid),
        "document": "report.pdf",
    }
    assert rows.get(action="folder.viewed").target_label == "Reads"


def test_a_video_played_in_ranges_is_one_read_until_it_is_opened_again_later(staff_client, order, documents):
    mp4 = documents["mp4"]
    url = reverse("orders:document_view", args=[order.id, mp4.uuid])
    start = _last_id()
    for header in ("bytes=0-", "bytes=65536-131071", "bytes=1-", "bytes=-500", ""):
        response = staff_client.get(url, HTTP_RANGE=header) if header else staff_client.get(url)
        b"".join(response.streaming_content)
    assert _reads(start) == [("order.document_viewed", "sam", "order")]
    # downloading is another way of reading; another document is another read
    staff_client.get(reverse("orders:document_download", args=[order.id, mp4.uuid]), HTTP_RANGE="bytes=10-")
    staff_client.get(reverse("orders:document_view", args=[order.id, documents["pdf"].uuid]))
    assert len(_reads(start)) == 3
    later = timezone.now() + dt.timedelta(minutes=11)
    with mock.patch("django.utils.timezone.now", return_value=later):
        staff_client.get(url, HTTP_RANGE="bytes=100-")
    assert len(_reads(start)) == 4


def test_another_user_reading_the_same_document_is_recorded(
    staff_client, staff_user, limited_client, limited_user, order, documents
):
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
    url = reverse("orders:document_view", args=[order.id, documents["pdf"].uuid])
    start = _last_id()
    staff_client.get(url)
    limited_client.get(url)
    assert [a for a, _, _ in _reads(start)] == ["order.document_viewed", "order.document_viewed"]


def test_refused_reads_write_nothing(outsider_client, order, documents):
    start = _last_id()
    assert outsider_client.get(reverse("orders:detail", args=[order.id])).status_code == 404
    assert (
        outsider_client.get(reverse("orders:document_view", args=[order.id, documents["pdf"].uuid])).status_code == 404
    )
    assert _reads(start) == []


def test_each_order_page_view_is_one_event(staff_client, order):
    start = _last_id()
    for _ in range(3):
        staff_client.get(reverse("orders:detail", args=[order.id]))
    assert _reads(start) == [("order.viewed", "sam", "order")] * 3
