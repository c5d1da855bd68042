"""An order's history reads as sentences with names in the reader's language, never ids; and
staff see who viewed the order (limited users do not)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.types import Role
from tests.conftest import make_user
from tests.uploads.conftest import upload
from tests.uploads.files import pdf_bytes, shipped

pytestmark = pytest.mark.django_db

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def busy_order(staff_user, staff_client, limited_user, clinic, tmp_path):
    """An order with one event of each common kind."""
    api = get_api()
    receipt = upload(staff_user, clinic, [shipped("CT_small.dcm")], tmp_path)
    order = api.upload_report(actor=staff_user, batch_id=receipt.batch_id).orders[0]
    rosa = make_user("rosa", Role.ADMINISTRATOR, first_name="Rosa", last_name="Root")
    group = api.create_user_group(actor=rosa, name="Radiology")
    api.assign_order(actor=staff_user, order_id=order.id, group_id=group.id)
    api.assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
    api.unassign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
    document = SimpleUploadedFile("report.pdf", pdf_bytes(), content_type="application/pdf")
    staff_client.post(reverse("orders:document_upload", args=[order.id]), {"attachments": [document]})
    return order


def _history(client, order, language="en") -> list[str]:
    html = client.get(reverse("orders:detail", args=[order.id]), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    section = html.split('id="history"', 1)[1].split("</section>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", section, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() for item in items]


def test_history_lines_are_sentences_with_names(staff_client, busy_order):
    lines = _history(staff_client, busy_order)
    text = "\n".join(lines)
    assert not UUID.search(text), text
    for internal in ("user id", "group id", "kind:", "size:", "upload:"):
        assert internal not in text
    sentences = [line.split(" ", 2)[2] for line in lines if not line.startswith("Sam Staff opened")]
    assert "Sam Staff attached the document “report.pdf” (PDF)" in sentences
    assert "Sam Staff took this order away from Lía Limitada" in sentences
    assert "Sam Staff assigned this order to Lía Limitada" in sentences
    assert "Sam Staff assigned this order to the group Radiology" in sentences
    assert "Sam Staff uploaded 1 image (CT, 1 series)" in sentences
    assert "Sam Staff created this order by uploading images" in sentences


def test_history_is_in_the_readers_language(staff_client, busy_order):
    text = "\n".join(_history(staff_client, busy_order, "es"))
    assert "Sam Staff asignó esta orden al grupo Radiology" in text
    assert "Sam Staff adjuntó el documento “report.pdf” (PDF)" in text
    assert "Sam Staff subió 1 imagen (CT, 1 serie)" in text
    assert (
        "Quién vio esta orden"
        in staff_client.get(reverse("orders:detail", args=[busy_order.id]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    )
    assert " assigned " not in text
    assert "uploaded" not in text


def test_staff_see_who_viewed_the_order_and_limited_users_do_not(
    staff_client, staff_user, limited_client, limited_user, busy_order
):
    get_api().assign_order(actor=staff_user, order_id=busy_order.id, user_id=profile_of(limited_user).uuid)
    limited_client.get(reverse("orders:detail", args=[busy_order.id]))
    staff_client.get(reverse("orders:detail", args=[busy_order.id]))
    detail = get_api().order_properties(actor=staff_user, order_id=busy_order.id)
    assert [(v.name, v.views) for v in detail.viewers] == [("Sam Staff", 2), ("Lía Limitada", 1)]
    lines = _history(staff_client, busy_order)
    assert any(line.startswith("Sam Staff opened it 3 times, last on") for line in lines), lines
    assert any(line.startswith("Lía Limitada opened it once, last on") for line in lines), lines
    page = limited_client.get(reverse("orders:detail", args=[busy_order.id])).content.decode()
    assert "Who viewed this order" not in page
    assert get_api().order_properties(actor=limited_user, order_id=busy_order.id).viewers == ()


def test_the_audit_page_shows_names_not_ids(admin_client, busy_order):
    html = admin_client.get(reverse("portal:audit_log"), {"action": "order"}).content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert not UUID.search(body), body
    assert "Lía Limitada (lia)" in body
    assert "Sam Staff" in body
