"""Problem codes and their sentences: written once, made again in any language."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from postdicom.dicom import problems
from postdicom.dicom.problems import (
    DicomProblem,
    DicomWarning,
    ProblemCode,
    WarningCode,
    sentence,
    stored_sentence,
    stored_warning_sentence,
    warning_sentence,
)

#: Parameters for the codes whose sentences need them.
PARAMS: dict[ProblemCode, dict[str, str | int]] = {
    ProblemCode.TOO_DEEP: {"limit": 64},
    ProblemCode.BAD_VR: {"tag": 0x00100010, "vr": "ZZ"},
    ProblemCode.DAMAGED_VALUE: {"tag": 0x00280008, "keyword": "NumberOfFrames"},
    ProblemCode.MISSING_UID: {"keyword": "SOPInstanceUID"},
    ProblemCode.ZIP_TOO_MANY: {"limit": 100_000},
    ProblemCode.ZIP_TOO_LARGE: {"size": "20 GiB"},
    ProblemCode.ZIP_RATIO: {"ratio": 200},
}


def in_both(words, code, params):
    """What ``words(code, params)`` says in English and in Spanish."""
    with translation.override("en"):
        english = words(code, params)
    with translation.override("es"):
        spanish = words(code, params)
    return english, spanish


@pytest.mark.parametrize("code", list(ProblemCode))
def test_every_code_has_a_sentence_in_english_and_in_spanish(code):
    assert len(code.value) <= 20  # UploadItem.code
    english, spanish = in_both(sentence, code, PARAMS.get(code, {}))
    assert english
    assert spanish
    assert spanish != english


def test_parameters_are_language_neutral_and_the_sentence_follows_the_language():
    with translation.override("en"):
        problem = problems.not_dicom("png")
    assert problem.reason == "This is not a DICOM file (it looks like a PNG image)."
    assert problem.params == {"kind": "png"}
    stored = problem.stored()
    assert json.loads(stored) == {"kind": "png"}
    with translation.override("es"):
        assert stored_sentence("not_dicom", stored) == "No es un archivo DICOM (parece ser una imagen PNG)."
    with translation.override("en"):
        assert stored_sentence("bad_vr", problems.bad_vr(0x00100010, "ZZ").stored()) == (
            "The file is damaged and cannot be read. Technical detail: tag (0010,0010) has an unknown type “ZZ”."
        )


def test_details_and_kinds_are_keys():
    with translation.override("es"):
        damaged = problems.damaged("compressed_without_syntax")
        unknown_kind = problems.not_dicom("something-new")
    assert damaged.params == {"detail": "compressed_without_syntax"}
    assert "sintaxis de transferencia" in damaged.reason
    assert unknown_kind.reason == "No es un archivo DICOM."


def test_a_truncated_file_is_called_incomplete_not_an_unfinished_upload():
    english, spanish = in_both(sentence, ProblemCode.TRUNCATED, {})
    assert english.startswith("The file is incomplete: it ends before its last element.")
    assert "uploading" not in english
    assert spanish.startswith("El archivo está incompleto: termina antes de su último elemento.")


@pytest.mark.parametrize(
    ("keyword", "tag", "english", "spanish"),
    [
        (
            "SOPInstanceUID",
            0x00080018,
            "The image's unique identifier is damaged, so the image cannot be stored. "
            "Technical detail: (0008,0018) SOP Instance UID.",
            "El identificador único de la imagen está dañado, por lo que la imagen no se puede guardar. "
            "Detalle técnico: (0008,0018) SOP Instance UID.",
        ),
        (
            "StudyInstanceUID",
            0x0020000D,
            "The study's unique identifier in this file is damaged, so the image cannot be filed with its study. "
            "Technical detail: (0020,000D) Study Instance UID.",
            "El identificador único del estudio está dañado en este archivo, por lo que la imagen no se puede "
            "archivar con su estudio. Detalle técnico: (0020,000D) Study Instance UID.",
        ),
        (
            "PatientBirthDate",
            0x00100030,
            "The value of “Birth date” in this file is damaged, so the file cannot be stored. "
            "Technical detail: (0010,0030) Patient's Birth Date.",
            "El valor de «Fecha de nacimiento» en este archivo está dañado, por lo que el archivo no se puede "
            "guardar. Detalle técnico: (0010,0030) Patient's Birth Date.",
        ),
    ],
)
def test_a_damaged_value_is_said_in_clinic_words_with_the_tag_as_a_technical_detail(keyword, tag, english, spanish):
    assert in_both(sentence, ProblemCode.DAMAGED_VALUE, {"tag": tag, "keyword": keyword}) == (english, spanish)


def test_a_missing_identifier_names_what_it_identifies_and_the_tag():
    english, spanish = in_both(sentence, ProblemCode.MISSING_UID, {"keyword": "SeriesInstanceUID"})
    assert english == (
        "This file does not say which series it belongs to (its unique identifier is missing), so it cannot be "
        "filed. Technical detail: (0020,000E) Series Instance UID."
    )
    assert spanish.startswith("Este archivo no indica a qué serie pertenece")


#: Words a clinic user does not know, which may appear only after "Technical detail:".
JARGON = ("tag ", "etiqueta ", "UID", "sequence", "secuencia", "value type", "tipo de valor", "secondary capture")


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_sentence_speaks_jargon_before_its_technical_detail(language):
    with translation.override(language):
        texts = [sentence(code, PARAMS.get(code, {})) for code in ProblemCode]
        texts += [warning_sentence(code, WARNING_PARAMS.get(code, {})) for code in WarningCode]
        texts += [warning_sentence(WarningCode.BURNED_IN_UNSTATED, {"modality": ""})]
        for text in texts:
            clinic_part = text.split("Technical detail:")[0].split("Detalle técnico:")[0]
            for term in JARGON:
                assert term not in clinic_part, text


@pytest.mark.parametrize(
    ("code", "stored"),
    [
        ("", ""),  # a stored file: no reason
        ("not_dicom", "This is not a DICOM file."),  # a row written before parameters were stored
        ("refused", '{"x":1}'),  # a code this version does not know
        ("too_deep", "{}"),  # a parameter missing
        ("too_deep", '{"limit":'),  # cut short
        ("too_deep", "[1]"),
    ],
)
def test_anything_else_is_shown_as_stored(code, stored):
    assert stored_sentence(code, stored) == stored


def test_parameters_that_would_not_fit_keep_the_sentence():
    problem = DicomProblem(ProblemCode.DAMAGED_VALUE, "A damaged value.", {"tag": 1, "keyword": "K" * 600})
    assert problem.stored() == "A damaged value."


# --- warnings ----------------------------------------------------------------------------------------

#: Parameters for the warnings whose sentences need them.
WARNING_PARAMS: dict[WarningCode, dict[str, str | int]] = {
    WarningCode.QUESTIONABLE_VALUE: {"tag": 0x00080020, "keyword": "StudyDate"},
    WarningCode.UNREADABLE_VALUE: {"tag": 0x00100040, "keyword": "PatientSex"},
    WarningCode.BURNED_IN_UNSTATED: {"modality": "US"},
}


@pytest.mark.parametrize("code", list(WarningCode))
def test_every_warning_has_a_sentence_in_english_and_in_spanish(code):
    english, spanish = in_both(warning_sentence, code, WARNING_PARAMS.get(code, {}))
    assert english
    assert spanish
    assert spanish != english


def test_a_warning_is_stored_as_json_and_worded_in_the_readers_language():
    warning = DicomWarning.of(WarningCode.UNREADABLE_VALUE, tag=0x00080020, keyword="StudyDate")
    stored = json.loads(json.dumps(warning.stored()))  # as the JSONField gives it back
    assert stored == {"code": "unreadable_value", "params": {"keyword": "StudyDate", "tag": 0x00080020}}
    with translation.override("en"):
        assert (
            stored_warning_sentence(stored)
            == str(warning)
            == (
                "The value of “Study date” in this file could not be read; it was left out. "
                "Technical detail: (0008,0020) Study Date."
            )
        )
    with translation.override("es"):
        assert stored_warning_sentence(stored) == (
            "No se pudo leer el valor de «Fecha del estudio» en este archivo; se ha omitido. "
            "Detalle técnico: (0008,0020) Study Date."
        )


def test_a_secondary_capture_without_a_modality_is_named_in_the_readers_language():
    stored = DicomWarning.of(WarningCode.BURNED_IN_UNSTATED, modality="").stored()
    with translation.override("es"):
        assert "Esta imagen capturada o escaneada" in stored_warning_sentence(stored)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("An old warning, in English.", "An old warning, in English."),  # a row written before codes
        ({"code": "from_the_future", "params": {}}, "from_the_future"),  # a code this version does not know
        ({"code": "unreadable_value", "params": {}}, "unreadable_value"),  # a parameter missing
        ({"code": "unreadable_value", "params": {"tag": "x", "keyword": "K"}}, "unreadable_value"),
        ({"code": "burned_in", "params": []}, "burned_in"),
        ({"params": {}}, ""),
        (7, "7"),
    ],
)
def test_a_warning_that_cannot_be_worded_is_shown_as_stored_or_by_its_code(stored, shown):
    assert stored_warning_sentence(stored) == shown
