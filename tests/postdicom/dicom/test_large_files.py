"""A 2 GB file is sniffed and summarized from its header: its pixel data is never read."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from postdicom.dicom.problems import DicomProblem, ProblemCode
from postdicom.dicom.read import summarize
from postdicom.dicom.sniff import sniff
from tests.postdicom.dicom.conftest import make_large

TWO_GB = 2 << 30


def test_two_gigabyte_file_costs_kilobytes(tmp_path):
    path = make_large(tmp_path / "huge.dcm", TWO_GB, sparse=True)
    try:
        assert path.stat().st_size > TWO_GB
        tracemalloc.start()
        started = time.perf_counter()
        found = sniff(path)
        summary = summarize(path)
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert found.is_dicom
        assert summary.has_pixel_data
        assert summary.file_size == path.stat().st_size
        assert peak < 2 << 20, peak  # far below one chunk of the pixel data
        assert elapsed < 5
    finally:
        path.unlink()


def test_two_gigabyte_file_cut_short_is_truncated(tmp_path):
    path = make_large(tmp_path / "cut.dcm", TWO_GB, sparse=True)
    try:
        with path.open("r+b") as handle:
            handle.truncate(path.stat().st_size - 1000)
        with pytest.raises(DicomProblem) as caught:
            summarize(path)
        assert caught.value.code is ProblemCode.TRUNCATED
    finally:
        path.unlink()
