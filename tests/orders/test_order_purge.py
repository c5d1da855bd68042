"""Purging an order now (an erasure request): the confirmation page, per role, and the files."""

from __future__ import annotations

import pytest
from django.test import TestCase
from django.urls import reverse

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.local.models import AuditRecord, PatientOrder
from postdicom.types import UploadFile
from tests.uploads.conftest import stored_files, upload_dirs  # noqa: F401
from tests.uploads.files import pdf_bytes

pytestmark = pytest.mark.django_db


def _url(order):
    return reverse("orders:purge", args=[order.id])


@pytest.fixture
def deleted(order, staff_user, limited_user, tmp_path):
    """``order`` with a stored document, assigned to ``limited_user``, in the recycle bin."""
    api = get_api()
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(pdf_bytes())
    api.upload_documents(
        actor=staff_user, order_id=order.id, files=[UploadFile(name="letter.pdf", path=str(letter), size=10)]
    )
    api.assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
    api.delete_order(actor=staff_user, order_id=order.id)
    return order


def test_roles(client, outsider_client, limited_client, staff_client, admin_client, deleted):
    for method in ("get", "post"):
        assert getattr(client, method)(_url(deleted)).status_code == 302
        assert getattr(outsider_client, method)(_url(deleted)).status_code == 404
        assert getattr(limited_client, method)(_url(deleted)).status_code == 403
        assert getattr(staff_client, method)(_url(deleted)).status_code == 403
    assert PatientOrder.objects.filter(uuid=deleted.id).exists()
    assert _url(deleted) not in staff_client.get(reverse("orders:recycle_bin")).content.decode()
    assert _url(deleted) in admin_client.get(reverse("orders:recycle_bin")).content.decode()


def test_the_page_names_the_patient_and_what_goes(admin_client, deleted):
    content = admin_client.get(_url(deleted)).content.decode()
    assert "Delete the order of García, María José for good?" in content
    assert "P-1001" in content
    assert "1 document" in content
    spanish = admin_client.get(_url(deleted), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "¿Eliminar definitivamente la orden de García, María José?" in spanish


def test_purging_removes_the_order_and_its_files(admin_client, admin_user, deleted, tmp_path):
    assert len(stored_files(tmp_path)) == 1
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin_client.post(_url(deleted))
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:recycle_bin")
    assert not PatientOrder.objects.filter(uuid=deleted.id).exists()
    assert stored_files(tmp_path) == []
    event = AuditRecord.objects.get(action="order.purged")
    assert event.actor == admin_user
    assert event.detail["by_task"] is False
    assert event.detail["files_removed"] == 1
    assert "García, María José" in event.target_label
    page = admin_client.get(response["Location"]).content.decode()
    assert "deleted for good" in page


def test_a_live_order_is_not_in_the_bin(admin_client, order):
    assert admin_client.get(_url(order)).status_code == 404
    assert admin_client.post(_url(order)).status_code == 404
    assert PatientOrder.objects.filter(uuid=order.id).exists()
