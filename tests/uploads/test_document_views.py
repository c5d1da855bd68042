"""Documents on an order: attach (checked by content), list, preview, download; for every persona."""

from __future__ import annotations

import os
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import SkipFile
from django.test import TestCase
from django.urls import reverse

from orders.views.documents import DocumentUploadHandler
from portal.env import env_int
from postdicom import get_api
from postdicom.errors import Forbidden
from postdicom.local.access import profile_of
from postdicom.local.models import AuditRecord, DocumentRecord
from postdicom.types import Role, ShareAudience, UploadFile
from tests.conftest import make_user
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


def test_each_refused_file_is_named_with_its_reason_and_the_valid_ones_are_kept(staff_client, order):
    response = _attach(
        staff_client,
        order,
        _file("ok.pdf", pdf_bytes()),
        _file("empty.pdf", b""),
        _file("page.pdf", b"<!DOCTYPE html><html></html>"),
        htmx=True,
    )
    assert response.status_code == 200  # something was attached
    assert list(DocumentRecord.objects.values_list("name", flat=True)) == ["ok.pdf"]
    card = response.content.decode()
    assert "1 document attached." in card
    assert "These files were not attached:" in card
    assert "<li><strong>empty.pdf</strong>: The file is empty.</li>" in card
    assert "<strong>page.pdf</strong>: Only PDF, JPEG, PNG, BMP and MP4 files can be attached." in card
    assert "looks like an HTML web page" in card


def test_without_javascript_the_refusals_come_back_as_messages(staff_client, order):
    response = _attach(staff_client, order, _file("ok.pdf", pdf_bytes()), _file("empty.pdf", b""))
    assert response.status_code == 302
    assert DocumentRecord.objects.count() == 1
    page = staff_client.get(response["Location"]).content.decode()
    assert "1 document attached." in page
    assert "empty.pdf was not attached: The file is empty." in page


def test_everything_refused_is_a_400_that_the_page_still_shows(staff_client, order):
    response = _attach(staff_client, order, _file("empty.pdf", b""), htmx=True)
    assert response.status_code == 400
    assert "This file was not attached:" in response.content.decode()
    assert DocumentRecord.objects.count() == 0


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


# --- the size limit ----------------------------------------------------------------------------------

MB = 1024 * 1024


def test_the_size_limit_comes_from_the_environment_with_500_mb_by_default(settings):
    assert "RAYPORT_DOCUMENT_MAX_MB" not in os.environ
    assert settings.RAYPORT_DOCUMENT_MAX_BYTES == 500 * MB
    with pytest.raises(ImproperlyConfigured, match="RAYPORT_DOCUMENT_MAX_MB must be at least 1"):
        env_int("RAYPORT_DOCUMENT_MAX_MB", 500, minimum=1, environ={"RAYPORT_DOCUMENT_MAX_MB": "0"})


def test_a_file_over_the_limit_is_refused_with_the_limit_and_the_others_kept(settings, staff_client, order):
    settings.RAYPORT_DOCUMENT_MAX_BYTES = 1 * MB
    big = pdf_bytes() + b"\0" * MB
    response = _attach(staff_client, order, _file("scan.pdf", big), _file("ok.pdf", pdf_bytes()), htmx=True)
    assert response.status_code == 200
    assert list(DocumentRecord.objects.values_list("name", flat=True)) == ["ok.pdf"]
    card = response.content.decode()
    assert (
        "<li><strong>scan.pdf</strong>: The file is larger than 1 MB, the largest document an order accepts.</li>"
        in card
    )
    assert 'data-max-bytes="1048576"' in card  # the browser takes such a file out before sending
    assert "At most 1 MB per file." in card


def test_the_limit_is_said_in_spanish(settings, staff_client, order):
    settings.RAYPORT_DOCUMENT_MAX_BYTES = 1 * MB
    response = staff_client.post(
        reverse("orders:document_upload", args=[order.id]),
        {"attachments": [_file("scan.pdf", pdf_bytes() + b"\0" * MB)]},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 400
    assert "El archivo supera 1 MB, el tamaño máximo de un documento." in response.content.decode()


def test_an_upload_over_the_limit_is_skipped_while_it_streams(rf, tmp_path):
    """The handler stops writing a file at the chunk that crosses the limit: nothing past it
    reaches the disk, the part written so far is deleted, and the file is named."""
    request = rf.post("/")
    handler = DocumentUploadHandler(request, limit=100)
    handler.new_file("attachments", "big.mp4", "video/mp4", None)
    assert handler.receive_data_chunk(b"x" * 60, 0) is None
    part = handler.file.temporary_file_path()
    assert os.path.getsize(part) == 0 or os.path.getsize(part) <= 100
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"x" * 60, 60)
    handler.file.close()  # what Django's parser does on SkipFile
    assert not os.path.exists(part)
    assert handler.too_large == ["big.mp4"]
    handler.new_file("attachments", "small.pdf", "application/pdf", None)
    assert handler.receive_data_chunk(b"x" * 100, 0) is None  # a new file starts from zero
    completed = handler.file_complete(100)
    assert completed is not None
    assert completed.size == 100


def test_the_service_refuses_a_file_over_the_limit_too(settings, staff_user, order, tmp_path):
    settings.RAYPORT_DOCUMENT_MAX_BYTES = 1 * MB
    big = tmp_path / "big.pdf"
    big.write_bytes(pdf_bytes() + b"\0" * MB)
    small = tmp_path / "small.pdf"
    small.write_bytes(pdf_bytes())
    files = [UploadFile(name=p.name, path=str(p), size=p.stat().st_size) for p in (big, small)]
    outcome = get_api().upload_documents(actor=staff_user, order_id=order.id, files=files)
    assert [d.name for d in outcome.added] == ["small.pdf"]
    assert [(r.name, r.reason) for r in outcome.refused] == [
        ("big.pdf", "The file is larger than 1 MB, the largest document an order accepts.")
    ]


# --- removing a document -----------------------------------------------------------------------------


def _delete(client, order, doc):
    return client.post(reverse("orders:document_delete", args=[order.id, doc.uuid]))


def test_staff_remove_a_document_for_good_and_the_history_says_so(staff_client, order, upload_dirs):
    _attach(staff_client, order, _file("referral.pdf", pdf_bytes()), _file("keep.png", png_bytes()))
    doc = DocumentRecord.objects.get(name="referral.pdf")
    page = staff_client.get(reverse("orders:detail", args=[order.id])).content.decode()
    assert reverse("orders:document_delete", args=[order.id, doc.uuid]) in page
    assert "Remove “referral.pdf” from this order for good? It cannot be restored." in page
    stored = [p for p in (upload_dirs / "media").rglob("*") if p.is_file()]
    assert len(stored) == 2
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = _delete(staff_client, order, doc)
    assert response.status_code == 302
    assert response["Location"].endswith("#documents")
    assert list(DocumentRecord.objects.values_list("name", flat=True)) == ["keep.png"]
    assert [p for p in stored if p.exists()] == [p for p in stored if p.suffix == ".png"]
    event = AuditRecord.objects.get(action="order.document_deleted")
    assert event.target_id == str(order.id)
    assert event.detail["document"] == "referral.pdf"
    page = staff_client.get(response["Location"]).content.decode()
    assert "“referral.pdf” was removed from the order." in page
    assert "Document removed from order" in page
    assert _delete(staff_client, order, doc).status_code == 404  # gone


def test_who_may_remove_a_document(
    staff_user, staff_client, admin_client, limited_client, limited_user, outsider_client, client, clinic, order
):
    _attach(staff_client, order, _file("a.pdf", pdf_bytes()), _file("b.pdf", pdf_bytes()))
    first, second = DocumentRecord.objects.order_by("name")
    url = reverse("orders:document_delete", args=[order.id, first.uuid])
    assert client.post(url)["Location"].startswith(reverse("login"))
    assert outsider_client.post(url).status_code == 404
    assert limited_client.post(url).status_code == 404  # cannot see the order yet
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
    assert limited_client.post(url).status_code == 403  # sees it, may not remove
    limited_page = limited_client.get(reverse("orders:detail", args=[order.id])).content.decode()
    assert "a.pdf" in limited_page
    assert "/delete/" not in limited_page.split('id="documents"')[1].split("</section>")[0]
    assert staff_client.get(url).status_code == 405
    assert DocumentRecord.objects.count() == 2
    other = new_order(staff_user, clinic, patient_id="P-9")  # a document of another order
    assert staff_client.post(reverse("orders:document_delete", args=[other.id, first.uuid])).status_code == 404
    assert admin_client.post(url).status_code == 302
    assert staff_client.post(reverse("orders:document_delete", args=[order.id, second.uuid])).status_code == 302
    assert DocumentRecord.objects.count() == 0


def test_the_service_says_who_may_remove_with_each_document(staff_user, limited_user, order, tmp_path):
    api = get_api()
    path = tmp_path / "a.pdf"
    path.write_bytes(pdf_bytes())
    outcome = api.upload_documents(
        actor=staff_user, order_id=order.id, files=[UploadFile(name="a.pdf", path=str(path), size=1)]
    )
    assert [d.can_delete for d in outcome.added] == [True]
    api.assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
    assert [d.can_delete for d in api.order_properties(actor=limited_user, order_id=order.id).documents] == [False]
    assert [d.can_delete for d in api.order_properties(actor=staff_user, order_id=order.id).documents] == [True]
    with pytest.raises(Forbidden):
        api.delete_document(actor=limited_user, order_id=order.id, document_id=outcome.added[0].id)


def test_staff_who_see_an_order_of_another_institution_through_a_shared_folder_may_not_remove(
    staff_user, clinic, other_clinic, tmp_path
):
    """Olga works in both institutions and shares a folder holding an order of the other one
    with Sam, who works only in the first: Sam sees the order and its documents, not more."""
    api = get_api()
    olga = make_user("olga", Role.STAFF, [clinic, other_clinic])
    elsewhere = new_order(olga, other_clinic, accession_number="ELSEWHERE-1")
    path = tmp_path / "a.pdf"
    path.write_bytes(pdf_bytes())
    (doc,) = api.upload_documents(
        actor=olga, order_id=elsewhere.id, files=[UploadFile(name="a.pdf", path=str(path), size=1)]
    ).added
    assert doc.can_delete
    folder = api.create_folder(actor=olga, name="Cardiology")
    api.add_order_to_folders(actor=olga, order_id=elsewhere.id, folder_ids=[folder.id])
    api.share_folder(
        actor=olga,
        folder_id=folder.id,
        audience=ShareAudience(user_ids=(profile_of(staff_user).uuid,)),
        includes_restricted_orders=True,
    )
    seen = api.order_properties(actor=staff_user, order_id=elsewhere.id)  # sees it through the share
    assert [d.can_delete for d in seen.documents] == [False]
    with pytest.raises(Forbidden):
        api.delete_document(actor=staff_user, order_id=elsewhere.id, document_id=doc.id)
    assert DocumentRecord.objects.count() == 1


def test_a_pdf_has_a_page_that_draws_it_where_the_browser_cannot(staff_client, outsider, client, order):
    from django.contrib.staticfiles import finders

    _attach(staff_client, order, _file("referral.pdf", pdf_bytes()), _file("photo.png", png_bytes()))
    pdf = DocumentRecord.objects.get(kind="pdf")
    png = DocumentRecord.objects.get(kind="png")
    url = reverse("orders:document_pdf", args=[order.id, pdf.uuid])
    detail = staff_client.get(reverse("orders:detail", args=[order.id])).content.decode()
    assert f'href="{url}"' in detail  # the order's "Open" link
    page = staff_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-pdf="{reverse("orders:document_view", args=[order.id, pdf.uuid])}"' in html
    assert reverse("orders:document_download", args=[order.id, pdf.uuid]) in html  # also without JavaScript
    assert "/static/vendor/pdfjs/pdf.min.mjs" in html
    assert "/static/js/pdfview.js" in html
    policy = page["Content-Security-Policy"]
    assert "'wasm-unsafe-eval'" in policy
    assert "'unsafe-eval'" not in policy.replace("'wasm-unsafe-eval'", "")
    assert "worker-src 'self'" in policy
    # pdf.js is vendored (no CDN): every file the page and the script name is served by the site.
    for name in (
        "pdf.min.mjs",
        "pdf.worker.min.mjs",
        "standard_fonts/LiberationSans-Bold.ttf",
        "cmaps/UniJIS-UCS2-H.bcmap",
    ):
        assert finders.find(f"vendor/pdfjs/{name}"), name
    assert finders.find("vendor/pdfjs/wasm/openjpeg.wasm")
    assert finders.find("js/pdfview.js")
    assert staff_client.get(reverse("orders:document_pdf", args=[order.id, png.uuid])).status_code == 404
    assert staff_client.get(reverse("orders:document_pdf", args=[order.id, uuid.uuid4()])).status_code == 404
    client.force_login(outsider)
    assert client.get(url).status_code == 404
