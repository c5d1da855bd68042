"""A refused file's reason and a stored file's warnings are worded in the reader's language,
whatever language the worker had: the ingest stores codes and parameters, and the report makes
the sentences when it is read (postdicom.dicom.problems.stored_sentence and
stored_warning_sentence)."""

from __future__ import annotations

import pydicom
import pytest
from django.urls import reverse
from django.utils import translation

from postdicom import types as t
from postdicom.local.models import UploadItem
from tests.uploads.conftest import outcomes, report, upload
from tests.uploads.files import deep_sequences, make_image, make_zip, png_bytes

pytestmark = pytest.mark.django_db

SPANISH = {
    "photo.dcm": "No es un archivo DICOM (parece ser una imagen PNG).",
    "deep.dcm": "El archivo está construido como ninguna imagen real (más de",
    "empty.dcm": "El archivo está vacío.",
    "no-series.dcm": "Este archivo no indica a qué serie pertenece",
    "study.zip/../evil.dcm": "La ruta de este archivo dentro del archivo comprimido apunta fuera de él",
}
ENGLISH = {
    "photo.dcm": "This is not a DICOM file (it looks like a PNG image).",
    "deep.dcm": "The file is built in a way no real image is (more than",
    "empty.dcm": "The file is empty.",
    "no-series.dcm": "This file does not say which series it belongs to",
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


# --- warnings about stored files ---------------------------------------------------------------------


@pytest.fixture
def warned_batches(staff_user, clinic, tmp_path):
    """Two batches whose stored files got warnings from a worker speaking English: an
    unreadable study date, and (in an anonymized batch) an ultrasound image that does not say
    whether patient details are burned into its pixels. File name → its batch."""
    odd = make_image(tmp_path / "odd-date.dcm")
    dataset = pydicom.dcmread(odd)
    dataset.StudyDate = "20241345"
    dataset.save_as(odd, enforce_file_format=True)
    ultrasound = make_image(tmp_path / "us.dcm", modality="US")
    with translation.override("en"):
        plain = upload(staff_user, clinic, [odd], tmp_path)
        anonymized = upload(staff_user, clinic, [ultrasound], tmp_path, anonymize=t.Anonymization(basic_profile=True))
    return {"odd-date.dcm": plain, "us.dcm": anonymized}


WARNINGS = {
    "es": {
        "odd-date.dcm": "No se pudo leer el valor de «Fecha del estudio» en este archivo",
        "us.dcm": "Esta imagen de US no indica si los datos del paciente están incrustados en sus píxeles",
    },
    "en": {
        "odd-date.dcm": "The value of “Study date” in this file could not be read",
        "us.dcm": "This US image does not say whether patient details are burned into its pixels",
    },
}


def _warnings(actor, receipt) -> dict[str, tuple[str, ...]]:
    return {f.name: f.warnings for f in report(actor, receipt).files.items}


def test_the_worker_stores_warning_codes_and_parameters_not_sentences(warned_batches):
    assert UploadItem.objects.get(name="odd-date.dcm").warnings == [
        {"code": "unreadable_value", "params": {"keyword": "StudyDate", "tag": 0x00080020}}
    ]
    assert UploadItem.objects.get(name="us.dcm").warnings == [
        {"code": "burned_in_unstated", "params": {"modality": "US"}}
    ]


@pytest.mark.parametrize("language", ["es", "en"])
def test_warnings_speak_the_readers_language(staff_user, warned_batches, language):
    for name, sentence in WARNINGS[language].items():
        with translation.override(language):
            warnings = _warnings(staff_user, warned_batches[name])[name]
        assert len(warnings) == 1, (name, warnings)
        assert sentence in warnings[0], (name, warnings)


def test_a_spanish_user_reads_spanish_warnings_on_the_report_page(staff_client, warned_batches):
    for name, receipt in warned_batches.items():
        url = reverse("orders:upload_batch", args=[receipt.batch_id])
        page = staff_client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
        assert WARNINGS["es"][name] in page
        assert WARNINGS["en"][name] not in page


def test_a_warning_stored_as_a_sentence_is_shown_as_it_was(staff_user, warned_batches):
    UploadItem.objects.filter(name="us.dcm").update(warnings=["An old warning, in English."])
    with translation.override("es"):
        assert _warnings(staff_user, warned_batches["us.dcm"])["us.dcm"] == ("An old warning, in English.",)
