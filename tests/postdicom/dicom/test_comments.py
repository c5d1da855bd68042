"""A sentence in a length-limited DICOM text element: cut to fit, whole in Rayport's block."""

from __future__ import annotations

import warnings

import pydicom
import pytest

from postdicom.dicom.comments import CREATOR_TAG, ERROR_COMMENT, FULL_TEXT_TAG, comment, fit, read_comment

LONG = "The instance belongs to study 1.2.826.0.1.3680043.8.498.1234567890, not to the study of the address."


def test_a_short_sentence_is_the_element_alone():
    assert comment(ERROR_COMMENT, "LO", "Anonymized.") == {ERROR_COMMENT: {"vr": "LO", "Value": ["Anonymized."]}}
    assert comment(ERROR_COMMENT, "LO", "") == {}


def test_a_long_sentence_is_cut_to_the_vr_and_kept_whole_in_the_private_element():
    elements = comment(ERROR_COMMENT, "LO", LONG)
    value = elements[ERROR_COMMENT]["Value"][0]
    assert len(value) == 64
    assert value.endswith("…")
    assert LONG.startswith(value[:-1])
    assert elements[CREATOR_TAG] == {"vr": "LO", "Value": ["RAYPORT 1"]}
    assert elements[FULL_TEXT_TAG] == {"vr": "UT", "Value": [LONG]}
    assert read_comment(elements, ERROR_COMMENT) == LONG


def test_pydicom_reads_the_elements_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dataset = pydicom.Dataset.from_json(comment(ERROR_COMMENT, "LO", LONG))
        dataset.ErrorComment.encode()  # a str: no warning when it is used either
    assert len(dataset.ErrorComment) == 64
    assert dataset.private_block(0x0009, "RAYPORT 1")[0x01].value == LONG
    with pytest.warns(UserWarning, match="exceeds the maximum length of 64"):
        pydicom.Dataset.from_json({ERROR_COMMENT: {"vr": "LO", "Value": [LONG]}})  # what was written before


def test_fit_keeps_a_single_valued_lo_valid():
    assert fit("a\\b\nc", "LO") == "a/b c"  # no value separator, no line break
    assert fit("x" * 64, "LO") == "x" * 64
    assert fit("x" * 20, "SH") == "x" * 15 + "…"
    assert fit("line one\nline two", "LT") == "line one\nline two"
    with pytest.raises(ValueError, match="UT"):
        fit("text", "UT")


def test_reading_another_servers_comment_or_another_block():
    assert read_comment({ERROR_COMMENT: {"vr": "LO", "Value": ["why"]}}, ERROR_COMMENT) == "why"
    assert read_comment({}, ERROR_COMMENT) == ""
    foreign = {
        ERROR_COMMENT: {"vr": "LO", "Value": ["short"]},
        CREATOR_TAG: {"vr": "LO", "Value": ["OTHER VENDOR"]},
        FULL_TEXT_TAG: {"vr": "UT", "Value": ["not ours"]},
    }
    assert read_comment(foreign, ERROR_COMMENT) == "short"
