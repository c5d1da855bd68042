"""``summarize(describe=True)``: the header as DICOMweb serves it, made from the ingest's own
reading, must be what the worker's reading of the stored file (``described.describe``) makes,
for every file pydicom ships; where that reading cannot make it, it makes none (the worker
or the first request then reads the file)."""

from __future__ import annotations

import pytest
from pydicom.uid import DeflatedExplicitVRLittleEndian

from postdicom.dicom.described import describe
from postdicom.dicom.problems import DicomProblem
from postdicom.dicom.read import summarize
from tests.postdicom.dicom.conftest import label, pydicom_reads, shipped_files

READABLE = [path for path in shipped_files() if pydicom_reads(path) is not None]


def _worker_reading(path, transfer_syntax: str):
    try:
        with open(path, "rb") as handle:
            return describe(handle, transfer_syntax)
    except (ValueError, TypeError, KeyError, AttributeError, EOFError, OSError):
        return None


@pytest.mark.parametrize("path", READABLE, ids=label)
def test_the_ingests_description_is_the_workers(path):
    try:
        summary = summarize(path, describe=True)
    except DicomProblem:
        return  # refused files are never stored
    if summary.described is None:  # left to the worker: only where this reading is not its
        deflated = summary.transfer_syntax_uid == DeflatedExplicitVRLittleEndian
        assert not summary.has_file_meta or deflated or _worker_reading(path, summary.transfer_syntax_uid) is None
        return
    assert summary.described == _worker_reading(path, summary.transfer_syntax_uid)


def test_most_files_are_described_at_ingest():
    described = 0
    for path in READABLE:
        try:
            described += summarize(path, describe=True).described is not None
        except DicomProblem:
            continue
    assert described > 120


def test_a_summary_without_describe_carries_none(ct_small):
    assert summarize(ct_small).described is None
    assert summarize(ct_small, describe=True).described is not None
