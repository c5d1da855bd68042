"""Documents on an order: attach (checked by content), list, preview, download; for every persona."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.local.models import AuditRecord, DocumentRecord
from tests.orders.conftest import new_order
from tests.uploads.files import mp4_bytes, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(staff_user, clinic):
    return new_order(staff_user, clinic, accession_number="DOC-1")


def _attach(client, order, *files, htmx=False):
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(reverse("orders:document_upload", args=[order.id]), {"attachments": list(files)}, **extra)


def _file(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_attach_list_preview_and_download(staff_client, order):
    response = _attach(
        staff_client,
        order,
        _file("referral.pdf", pdf_bytes()),
        _file("photo.jpg.png", png_bytes()),
        _file("clip.mp4", mp4_bytes()),
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#documents")
    assert DocumentRecord.objects.count() == 3
    page = staff_client.get(reverse("orders:detail", args=[order.id])).content.decode()
    assert "referral.pdf" in page
    assert "<video" in page
    assert "<img" in page
    pdf = DocumentRecord.objects.get(kind="pdf")
    download = staff_client.get(reverse("orders:document_download", args=[order.id, pdf.uuid]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == pdf_bytes()
    view = staff_client.get(reverse("orders:document_view", args=[order.id, pdf.uuid]))
    assert view["Content-Disposition"].startswith("inline;")
    assert "default-src 'none'" in view["Content-Security-Policy"]
    assert AuditRecord.objects.filter(action="order.document_added", target_id=str(order.id)).count() == 3


def test_type_comes_from_content_not_name(staff_client, order):
    response = _attach(staff_client, order, _file("looks.pdf", b"<html><script>alert(1)</script></html>"), htmx=True)
    assert response.status_code == 400
    assert "HTML" in response.content.decode()
    assert DocumentRecord.objects.count() == 0
    png_named_pdf = _attach(staff_client, order, _file("scan.pdf", png_bytes()))
    assert png_named_pdf.status_code == 302
    assert DocumentRecord.objects.get().content_type == "image/png"


def test_one_bad_file_refuses_the_lot_with_every_reason(staff_client, order):
    response = _attach(staff_client, order, _file("ok.pdf", pdf_bytes()), _file("empty.pdf", b""))
    assert response.status_code == 302
    assert DocumentRecord.objects.count() == 0
    page = staff_client.get(reverse("orders:detail", args=[order.id])).content.decode()
    assert "empty" in page.lower()


def test_limited_user_sees_documents_only_when_assigned(staff_user, staff_client, limited_client, limited_user, order):
    _attach(staff_client, order, _file("a.pdf", pdf_bytes()))
    doc = DocumentRecord.objects.get()
    url = reverse("orders:document_download", args=[order.id, doc.uuid])
    assert limited_client.get(url).status_code == 404
    assert _attach(limited_client, order, _file("b.pdf", pdf_bytes())).status_code == 404
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
    assert limited_client.get(url).status_code == 200
    assert _attach(limited_client, order, _file("b.pdf", pdf_bytes())).status_code == 302


def test_outsider_and_unknown_ids_get_404(staff_user, staff_client, outsider_client, admin_client, clinic, order):
    _attach(staff_client, order, _file("a.pdf", pdf_bytes()))
    doc = DocumentRecord.objects.get()
    for url in (
        reverse("orders:document_download", args=[order.id, doc.uuid]),
        reverse("orders:document_view", args=[order.id, doc.uuid]),
    ):
        assert outsider_client.get(url).status_code == 404
        assert admin_client.get(url).status_code == 200
    assert staff_client.get(reverse("orders:document_download", args=[order.id, uuid.uuid4()])).status_code == 404
    other = new_order(staff_user, clinic, patient_id="P-2")
    assert staff_client.get(reverse("orders:document_download", args=[other.id, doc.uuid])).status_code == 404
    assert _attach(outsider_client, order, _file("x.pdf", pdf_bytes())).status_code == 404


def test_anonymous_goes_to_login_and_methods_are_checked(client, staff_client, order):
    url = reverse("orders:document_upload", args=[order.id])
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert staff_client.get(url).status_code == 405
    assert _attach(staff_client, order).status_code == 302  # no files: explained, nothing stored
    assert DocumentRecord.objects.count() == 0
