"""Byte ranges of documents (a video is sought, a download resumed): 206, 416, or the whole
file; the same headers and the same access rules as a whole download."""

from __future__ import annotations

import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.local.models import DocumentRecord
from tests.orders.conftest import new_order
from tests.uploads.files import mp4_bytes, pdf_bytes

pytestmark = pytest.mark.django_db

#: A video of a few pieces, every byte telling where it is.
VIDEO = mp4_bytes() + bytes(i % 251 for i in range(300_000))
SIZE = len(VIDEO)


@pytest.fixture
def order(staff_user, clinic):
    return new_order(staff_user, clinic, accession_number="RANGE-1")


@pytest.fixture
def video(staff_client, order):
    upload = SimpleUploadedFile("clip.mp4", VIDEO, content_type="video/mp4")
    staff_client.post(reverse("orders:document_upload", args=[order.id]), {"attachments": [upload]})
    return DocumentRecord.objects.get(kind="mp4")


def _urls(order, document):
    return {
        "view": reverse("orders:document_view", args=[order.id, document.uuid]),
        "download": reverse("orders:document_download", args=[order.id, document.uuid]),
    }


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("which", ["view", "download"])
@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-1", 0, 1),
        ("bytes=100-65635", 100, 65635),
        ("bytes=1000-", 1000, SIZE - 1),
        ("bytes=-500", SIZE - 500, SIZE - 1),
        (f"bytes=10-{SIZE + 10_000}", 10, SIZE - 1),
    ],
)
def test_one_range_is_206_with_only_those_bytes(staff_client, order, video, which, header, start, end):
    response = staff_client.get(_urls(order, video)[which], HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert response["Content-Length"] == str(end - start + 1)
    assert response["Accept-Ranges"] == "bytes"
    assert _body(response) == VIDEO[start : end + 1]
    _assert_same_headers_as_a_whole_file(response, which)


@pytest.mark.parametrize("which", ["view", "download"])
def test_without_a_range_the_whole_file_says_ranges_are_accepted(staff_client, order, video, which):
    response = staff_client.get(_urls(order, video)[which])
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(SIZE)
    assert "Content-Range" not in response
    assert _body(response) == VIDEO
    _assert_same_headers_as_a_whole_file(response, which)


def _assert_same_headers_as_a_whole_file(response, which):
    assert response["Content-Type"] == "video/mp4"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    if which == "view":
        assert response["Content-Disposition"].startswith("inline;")
        assert "default-src 'none'" in response["Content-Security-Policy"]
    else:
        assert response["Content-Disposition"].startswith("attachment;")
        assert 'filename="clip.mp4"' in response["Content-Disposition"]


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 5}-{SIZE + 10}", "bytes=-0"])
def test_a_range_past_the_end_is_416(staff_client, order, video, header):
    response = staff_client.get(_urls(order, video)["view"], HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == b""


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "bytes=5-1", "bytes=abc", "lines=1-2", "bytes=-", "bytes=0-1, 4-"])
def test_malformed_or_several_ranges_get_the_whole_file(staff_client, order, video, header):
    response = staff_client.get(_urls(order, video)["download"], HTTP_RANGE=header)
    assert response.status_code == 200
    assert _body(response) == VIDEO


def test_if_range_asks_for_the_whole_file(staff_client, order, video):
    """No validator is ever sent, so an If-Range can never match (RFC 9110 §13.1.5)."""
    response = staff_client.get(_urls(order, video)["download"], HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE='"x"')
    assert response.status_code == 200
    assert _body(response) == VIDEO


def test_head_answers_like_get(staff_client, order, video):
    response = staff_client.head(_urls(order, video)["view"], HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-9/{SIZE}"


def test_a_range_reads_only_pieces_of_the_file(staff_client, staff_user, order, settings):
    big = mp4_bytes() + bytes(8 << 20)
    upload = SimpleUploadedFile("big.mp4", big, content_type="video/mp4")
    staff_client.post(reverse("orders:document_upload", args=[order.id]), {"attachments": [upload]})
    document = DocumentRecord.objects.get(name="big.mp4")
    del big, upload
    tracemalloc.start()
    try:
        response = staff_client.get(_urls(order, document)["view"], HTTP_RANGE="bytes=1000-")
        received = sum(len(piece) for piece in response.streaming_content)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 206
    assert received == document.size - 1000
    assert peak < 2 << 20, peak


def test_ranges_do_not_open_the_door(
    staff_user, staff_client, limited_client, limited_user, outsider_client, admin_client, client, order, video
):
    for url in _urls(order, video).values():
        assert outsider_client.get(url, HTTP_RANGE="bytes=0-1").status_code == 404
        assert limited_client.get(url, HTTP_RANGE="bytes=0-1").status_code == 404
        anonymous = client.get(url, HTTP_RANGE="bytes=0-1")
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith(reverse("login"))
        assert admin_client.get(url, HTTP_RANGE="bytes=0-1").status_code == 206
        assert staff_client.post(url, HTTP_RANGE="bytes=0-1").status_code == 405
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
    assert limited_client.get(_urls(order, video)["view"], HTTP_RANGE="bytes=0-1").status_code == 206


def test_a_pdf_range_keeps_it_an_attachment(staff_client, order):
    upload = SimpleUploadedFile("letter.pdf", pdf_bytes(), content_type="application/pdf")
    staff_client.post(reverse("orders:document_upload", args=[order.id]), {"attachments": [upload]})
    pdf = DocumentRecord.objects.get(kind="pdf")
    response = staff_client.get(_urls(order, pdf)["download"], HTTP_RANGE="bytes=0-3")
    assert response.status_code == 206
    assert _body(response) == b"%PDF"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
