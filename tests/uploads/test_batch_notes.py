"""Notes about a batch (its orders could not be filed into the chosen folder) are stored as
codes with language-neutral parameters and worded in the reader's language, like refusal
reasons (postdicom.local.uploads.notes); notes stored as sentences before are migrated."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from postdicom import get_api
from postdicom.local.models import UploadBatch
from tests.uploads.conftest import report, run, upload
from tests.uploads.files import make_image

pytestmark = pytest.mark.django_db

GONE = {
    "en": "2 orders were not filed into the chosen folder: the folder was deleted, or is no longer shared "
    "with you, while the upload ran.",
    "es": "2 órdenes no se archivaron en la carpeta elegida: la carpeta se eliminó, o dejó de estar compartida "
    "con usted, mientras se subían los archivos.",
}


@pytest.fixture
def noted_batch(staff_user, clinic, tmp_path):
    """Images of two patients sent into a folder that is deleted before the worker files
    them; the worker speaks Spanish, to show that its language does not matter."""
    api = get_api()
    folder = api.create_folder(actor=staff_user, name="Gone soon")
    paths = [make_image(tmp_path / "in" / f"{n}.dcm", patient_id=f"P{n}") for n in range(2)]
    receipt = upload(staff_user, clinic, paths, tmp_path, folder_id=folder.id, ingest=False)
    api.delete_folder(actor=staff_user, folder_id=folder.id)
    with translation.override("es"):
        run(receipt)
    return receipt


def test_the_worker_stores_a_code_and_a_count_not_sentences(noted_batch):
    batch = UploadBatch.objects.get(uuid=noted_batch.batch_id)
    assert batch.notes == [{"code": "folder_gone", "orders": 2}]


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_report_words_notes_in_the_readers_language(staff_user, noted_batch, language):
    with translation.override(language):
        assert report(staff_user, noted_batch).notes == (GONE[language],)


def test_the_report_page_shows_the_note_in_spanish(staff_client, noted_batch):
    url = reverse("orders:upload_batch", args=[noted_batch.batch_id])
    page = staff_client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert GONE["es"] in page
    assert GONE["en"] not in page


def test_sentences_stored_before_become_codes_and_unknown_ones_stay(staff_user, clinic, tmp_path):
    migration = importlib.import_module("postdicom.local.migrations.0008_upload_notes_as_codes")
    receipt = upload(staff_user, clinic, [make_image(tmp_path / "a.dcm")], tmp_path)
    batch = UploadBatch.objects.get(uuid=receipt.batch_id)
    old = ["No such folder.", "No such folder.", "Esta carpeta se ha compartido con usted solo para verla.", "Odd."]
    UploadBatch.objects.filter(pk=batch.pk).update(notes=old)
    migration.to_codes(apps, None)
    batch.refresh_from_db()
    assert batch.notes == ["Odd.", {"code": "folder_gone", "orders": 2}, {"code": "folder_read_only", "orders": 1}]
    with translation.override("es"):
        assert report(staff_user, receipt).notes == (
            "Odd.",
            GONE["es"],
            "1 orden no se archivó en la carpeta elegida: se ha compartido con usted solo para verla.",
        )
    migration.to_sentences(apps, None)
    batch.refresh_from_db()
    english = ["No such folder.", "No such folder.", "This folder is shared with you to view only.", "Odd."]
    assert sorted(batch.notes) == sorted(english)  # back to sentences, in the default language
