"""A refused file's reason is worded in the reader's language, whatever language the worker
that refused it had: the ingest stores the problem's code and parameters, and the report
makes the sentence when it is read (postdicom.dicom.problems.stored_sentence)."""

from __future__ import annotations

import pydicom
import pytest
from django.urls import reverse
from django.utils import translation

from postdicom.local.models import UploadItem
from tests.uploads.conftest import outcomes, upload
from tests.uploads.files import deep_sequences, make_image, make_zip, png_bytes

pytestmark = pytest.mark.django_db

SPANISH = {
    "photo.dcm": "No es un archivo DICOM (parece ser una imagen PNG).",
    "deep.dcm": "El archivo anida secuencias a más de",
    "empty.dcm": "El archivo está vacío.",
    "no-series.dcm": "Este archivo DICOM no tiene UID de instancia de la serie",
    "study.zip/../evil.dcm": "La ruta de este archivo dentro del archivo comprimido apunta fuera de él",
}
ENGLISH = {
    "photo.dcm": "This is not a DICOM file (it looks like a PNG image).",
    "deep.dcm": "The file nests sequences more than",
    "empty.dcm": "The file is empty.",
    "no-series.dcm": "This DICOM file has no Series Instance UID",
    "study.zip/../evil.dcm": "This file's path in the archive points outside it",
}


@pytest.fixture
def refused_batch(staff_user, clinic, tmp_path):
    """A batch whose bad files were refused by a worker speaking English."""
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "photo.dcm").write_bytes(png_bytes())
    (folder / "empty.dcm").write_bytes(b"")
    deep = deep_sequences(folder / "deep.dcm")
    no_series = make_image(folder / "no-series.dcm")
    dataset = pydicom.dcmread(no_series)
    del dataset.SeriesInstanceUID
    dataset.save_as(no_series, enforce_file_format=True)
    image = make_image(tmp_path / "z" / "IM1.dcm")
    archive = make_zip(folder / "study.zip", {"../evil.dcm": image.read_bytes()})
    paths = [folder / "photo.dcm", folder / "empty.dcm", deep, no_series, archive]
    with translation.override("en"):
        return upload(staff_user, clinic, paths, tmp_path)


def test_the_worker_stores_codes_and_parameters_not_sentences(staff_user, refused_batch):
    photo = UploadItem.objects.get(name="photo.dcm")
    assert (photo.code, photo.reason) == ("not_dicom", '{"kind":"png"}')
    assert UploadItem.objects.get(name="deep.dcm").code == "too_deep"
    assert UploadItem.objects.get(name="study.zip/../evil.dcm").code == "zip_unsafe_name"


@pytest.mark.parametrize(("language", "expected"), [("es", SPANISH), ("en", ENGLISH)])
def test_the_report_speaks_the_readers_language(staff_user, refused_batch, language, expected):
    with translation.override(language):
        result = outcomes(staff_user, refused_batch)
    for name, sentence in expected.items():
        outcome, reason = result[name]
        assert outcome == "rejected", name
        assert sentence in reason, (name, reason)


def test_a_spanish_user_reads_spanish_reasons_on_the_report_page(staff_client, refused_batch):
    url = reverse("orders:upload_batch", args=[refused_batch.batch_id])
    page = staff_client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    for sentence in SPANISH.values():
        assert sentence in page.replace("&#x27;", "'")
    for sentence in ENGLISH.values():
        assert sentence not in page.replace("&#x27;", "'")


def test_a_reason_stored_before_codes_had_parameters_is_shown_as_it_was(staff_user, refused_batch):
    UploadItem.objects.filter(name="photo.dcm").update(reason="This is not a DICOM file (old row).")
    with translation.override("es"):
        assert outcomes(staff_user, refused_batch)["photo.dcm"][1] == "This is not a DICOM file (old row)."
