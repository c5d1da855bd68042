"""Parsing one HTTP byte range (RFC 9110 §14.1.2) against a file's size."""

from __future__ import annotations

import pytest

from portal.downloads import ByteRange, Unsatisfiable, parse_range

SIZE = 1000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-499", ByteRange(0, 499)),
        ("bytes=500-999", ByteRange(500, 999)),
        ("bytes=500-5000", ByteRange(500, 999)),  # the end is clipped to the file
        ("bytes=999-999", ByteRange(999, 999)),
        ("bytes=100-", ByteRange(100, 999)),
        ("bytes=0-", ByteRange(0, 999)),
        ("bytes=-1", ByteRange(999, 999)),
        ("bytes=-300", ByteRange(700, 999)),
        ("bytes=-5000", ByteRange(0, 999)),  # more than the file: all of it
        (" bytes=1-2 ", ByteRange(1, 2)),
    ],
)
def test_one_range(header, expected):
    assert parse_range(header, SIZE) == expected
    assert expected.length == expected.end - expected.start + 1


@pytest.mark.parametrize(
    "header",
    [
        "",
        "bytes=",
        "bytes=-",
        "bytes=5-1",  # last before first: invalid, ignored
        "bytes=0-1,5-6",  # several ranges: the whole file instead
        "bytes=a-b",
        "bytes=1.5-2",
        "items=0-1",
        "0-1",
        "bytes=0-1;",
        "bytes=" + "9" * 200 + "-",
    ],
)
def test_malformed_or_multiple_ranges_mean_the_whole_file(header):
    assert parse_range(header, SIZE) is None


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1000-2000", "bytes=5000-5001", "bytes=-0"])
def test_ranges_past_the_end_are_unsatisfiable(header):
    with pytest.raises(Unsatisfiable):
        parse_range(header, SIZE)


def test_nothing_of_an_empty_file_is_satisfiable():
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=-10", 0)
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=0-", 0)
