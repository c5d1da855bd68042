"""An upload-only folder share: the upload page and protocol under the link, what arrives
lands in the folder and the owner is told; the folder's contents are never shown, and a
visitor reaches no upload but their own."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from postdicom import get_api
from postdicom.local.models import FolderOrder, PatientOrder, ShareAccess, ShareMail, UploadBatch
from postdicom.local.models.uploads import SHARE_SOURCE
from postdicom.types import ShareAudience, ShareOptions, UploadReceipt
from tests.sharing.conftest import PASSWORD, token_of, unlock
from tests.uploads.conftest import run
from tests.uploads.files import make_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def folder(staff_user, order_a):
    """Staff's folder "Referrals", holding order A already."""
    made = get_api().create_folder(actor=staff_user, name="Referrals")
    get_api().add_order_to_folders(actor=staff_user, order_id=order_a.id, folder_ids=[made.id])
    return made


@pytest.fixture
def upload_token(staff_user, folder):
    (share,) = get_api().share_folder(
        actor=staff_user,
        folder_id=folder.id,
        audience=ShareAudience(upload_only=True),
        options=ShareOptions(password=PASSWORD, title="Send us your CD"),
    )
    return token_of(share)


def _headers(client: Client) -> dict[str, str]:
    return {"X-CSRFToken": client.session["rayport_share_csrf"]}


def test_the_upload_page_never_shows_the_folder(visitor, upload_token, order_a):
    unlock(visitor, upload_token)
    page = visitor.get(f"/s/{upload_token}/")
    assert page.status_code == 200
    assert 'id="upload-form"' in page.text
    assert "Send us your CD" in page.text
    assert "Alpha" not in page.text
    assert "Referrals" not in page.text
    base = f"/s/{upload_token}"
    assert visitor.get(f"{base}/orders/{order_a.id}/").status_code == 404
    assert visitor.get(f"{base}/orders/{order_a.id}/documents/{order_a.document}/").status_code == 404
    assert visitor.get(f"{base}/dicomweb/studies").status_code == 404
    series = f"{base}/dicomweb/studies/{order_a.study}/series"
    assert visitor.get(series).status_code == 404


def test_an_outsider_upload_lands_in_the_folder_and_the_owner_is_told(
    visitor, upload_token, folder, staff_user, order_a, tmp_path
):
    staff_user.email = "sam@clinic.test"
    staff_user.save(update_fields=["email"])
    unlock(visitor, upload_token)
    base = f"/s/{upload_token}"
    started = visitor.post(f"{base}/upload/batches/", {"basic_profile": ""}, headers=_headers(visitor))
    assert started.status_code == 201, started.content
    batch = started.json()
    assert batch["files_url"].startswith(f"{base}/upload/batches/")
    # Same study as order A: through the share it must not join A.
    path = make_image(tmp_path / "cd" / "IM1.dcm", patient_name="Gamma^Gil", study_uid=order_a.study)
    data = path.read_bytes()
    files = visitor.post(
        batch["files_url"],
        json.dumps({"files": [{"name": "IM1.dcm", "size": len(data)}]}),
        content_type="application/json",
        headers=_headers(visitor),
    )
    assert files.status_code == 200, files.content
    (state,) = files.json()["files"]
    chunk = visitor.put(
        f"{batch['files_url']}{state['id']}/?offset=0",
        data,
        content_type="application/octet-stream",
        headers=_headers(visitor),
    )
    assert chunk.status_code == 200, chunk.content
    # Another visitor (another session) cannot reach this upload, even with the link and password.
    other = Client()
    unlock(other, upload_token)
    assert other.post(batch["finish_url"], headers=_headers(other)).status_code == 404
    assert other.get(batch["report_url"]).status_code == 404
    finished = visitor.post(batch["finish_url"], headers=_headers(visitor))
    assert finished.status_code == 200, finished.content
    row = UploadBatch.objects.get(uuid=batch["id"])
    assert row.source == SHARE_SOURCE
    assert row.created_by == staff_user
    run(UploadReceipt(batch_id=row.uuid, file_count=1))
    made = PatientOrder.objects.get(patient_name="Gamma^Gil")
    assert made.uuid != order_a.id
    assert FolderOrder.objects.filter(folder__uuid=folder.id, order=made).exists()
    report = visitor.get(batch["report_url"])
    assert report.status_code == 200
    assert "The clinic has received your images" in report.text
    assert "Gamma" not in report.text
    assert "Alpha" not in report.text
    share_row = ShareAccess.objects.filter(kind="uploaded").get()
    assert share_row.detail == "1"
    (mail,) = ShareMail.objects.filter(kind="uploaded")
    assert mail.to == "sam@clinic.test"


def test_a_viewing_share_takes_no_files(visitor, token_a):
    unlock(visitor, token_a)
    answer = visitor.post(f"/s/{token_a}/upload/batches/", {}, headers=_headers(visitor))
    assert answer.status_code == 404


def test_the_visitors_report_lists_the_files_still_being_sent(visitor, upload_token):
    """Looked at before the upload is finished, the report names the visitor's files that
    have not arrived whole, instead of leaving them out."""
    unlock(visitor, upload_token)
    base = f"/s/{upload_token}"
    batch = visitor.post(f"{base}/upload/batches/", {"basic_profile": ""}, headers=_headers(visitor)).json()
    files = visitor.post(
        batch["files_url"],
        json.dumps({"files": [{"name": "CD/IM1.dcm", "size": 100}, {"name": "CD/IM2.dcm", "size": 100}]}),
        content_type="application/json",
        headers=_headers(visitor),
    ).json()["files"]
    sent = visitor.put(
        f"{batch['files_url']}{files[0]['id']}/?offset=0",
        b"x" * 30,
        content_type="application/octet-stream",
        headers=_headers(visitor),
    )
    assert sent.status_code == 200, sent.content
    report = visitor.get(batch["report_url"])
    assert report.status_code == 200
    sending = report.text.split('id="upload-sending"')[1]
    assert "CD/IM1.dcm" in sending
    assert "CD/IM2.dcm" in sending
