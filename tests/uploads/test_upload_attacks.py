"""The three upload attacks of issue 9, re-run through the web protocol (start, register,
send, finish, then the worker's ingest): each leaves the victim order invisible to the
attacker and unchanged.

1. A limited user of clinic B sends a file carrying the Study Instance UID of clinic A's
   order X.
2. Staff of clinic B do the same with their own patient's image.
3. A limited user of clinic A who may not see X sends a file with X's accession number.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from pydicom.uid import generate_uid

from postdicom import get_api
from postdicom import types as t
from postdicom.local.models import InstanceRecord, PatientOrder
from tests.conftest import make_user
from tests.orders.conftest import new_order
from tests.uploads.conftest import run, upload, upload_dirs  # noqa: F401
from tests.uploads.files import make_image, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim(admin_user, clinic, tmp_path):
    """Order X of clinic A: one image of study S, accession ACCA1, and a document."""
    summary = new_order(admin_user, clinic, accession_number="ACCA1", patient_name="Victim^Vera", patient_id="V-1")
    study_uid = generate_uid()
    upload(admin_user, clinic, [make_image(tmp_path / "x" / "x.dcm", study_uid=study_uid, accession="ACCA1")], tmp_path)
    assert InstanceRecord.objects.filter(series__study__order__uuid=summary.id).count() == 1
    report = tmp_path / "x" / "report.pdf"
    report.write_bytes(pdf_bytes())
    (document,) = (
        get_api()
        .upload_documents(
            actor=admin_user,
            order_id=summary.id,
            files=[t.UploadFile(name="report.pdf", path=str(report), size=report.stat().st_size)],
        )
        .added
    )
    return PatientOrder.objects.get(uuid=summary.id), study_uid, document.id


def _send(client: Client, institution, data: bytes) -> dict:
    """The upload page's protocol, as upload.js speaks it; then the worker's ingest."""
    batch = client.post(reverse("orders:upload_start"), {"institution_id": str(institution.uuid)}).json()
    files = client.post(
        batch["files_url"],
        json.dumps({"files": [{"name": "attack.dcm", "size": len(data), "last_modified": 1}]}),
        content_type="application/json",
    ).json()["files"]
    url = reverse("orders:upload_chunk", args=[batch["id"], files[0]["id"]]) + "?offset=0"
    assert client.generic("PUT", url, data, content_type="application/octet-stream").status_code == 200
    assert client.post(batch["finish_url"]).status_code == 200
    run(type("Receipt", (), {"batch_id": uuid.UUID(batch["id"])})())
    return batch


def _snapshot(order: PatientOrder) -> tuple:
    order.refresh_from_db()
    images = sorted(InstanceRecord.objects.filter(series__study__order=order).values_list("sop_instance_uid", "sha256"))
    return images, order.updated_at, order.patient_name, order.status, order.accession_number


@pytest.mark.parametrize("attack", ["limited_of_b_by_study", "staff_of_b_by_study", "limited_of_a_by_accession"])
def test_upload_attacks_leave_the_victim_invisible_and_unchanged(
    attack, victim, clinic, other_clinic, staff_user, tmp_path
):
    order, study_uid, document_id = victim
    role = t.Role.STAFF if attack.startswith("staff") else t.Role.LIMITED
    home = clinic if attack.endswith("accession") else other_clinic
    attacker = make_user("mallory", role, [home])
    client = Client()
    client.force_login(attacker)
    before = _snapshot(order)
    if attack.endswith("accession"):
        path = make_image(tmp_path / "in" / "a.dcm", accession="ACCA1", patient_name="Mallory^M")
    else:
        path = make_image(tmp_path / "in" / "a.dcm", study_uid=study_uid, patient_name="Mallory^M")
    batch = _send(client, home, path.read_bytes())

    assert _snapshot(order) == before  # no new image, nothing changed
    for url in (
        reverse("orders:detail", args=[order.uuid]),
        reverse("orders:document_download", args=[order.uuid, document_id]),
        reverse("orders:document_view", args=[order.uuid, document_id]),
    ):
        assert client.get(url).status_code == 404, url
    listing = client.get(reverse("orders:list")).content.decode()
    assert "Victim" not in listing
    page = client.get(reverse("orders:upload_batch", args=[batch["id"]])).content.decode()
    assert "Victim" not in page
    assert str(order.uuid) not in page
    # The image is the attacker's own new order, in the institution they chose.
    (made,) = PatientOrder.objects.exclude(pk=order.pk)
    assert (made.institution_id, made.created_by_id) == (home.pk, attacker.pk)
    assert client.get(reverse("orders:detail", args=[made.uuid])).status_code == 200
    # A's staff still see X as it was.
    staff = Client()
    staff.force_login(staff_user)
    assert staff.get(reverse("orders:detail", args=[order.uuid])).status_code == 200
