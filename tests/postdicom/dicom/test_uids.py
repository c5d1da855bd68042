from __future__ import annotations

import re

import pytest

from postdicom.dicom.uids import UidMap

UID = re.compile(r"^2\.25\.(0|[1-9][0-9]*)$")


def test_new_uids_are_valid_2_25_uids():
    uid_map = UidMap.new()
    for original in ("1.2.3", "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322", " 1.2.3\x00"):
        new = uid_map(original)
        assert UID.match(new)
        assert len(new) <= 64
        assert int(new[5:]).bit_length() <= 128


def test_same_input_same_output_within_a_map_and_after_restoring_its_secret():
    uid_map = UidMap.new()
    assert uid_map("1.2.3") == uid_map("1.2.3") == uid_map("1.2.3 ")
    assert uid_map("1.2.3") != uid_map("1.2.4")
    restored = UidMap.from_hex(uid_map.secret_hex)
    assert restored("1.2.3") == uid_map("1.2.3")
    assert restored.date_offset_days == uid_map.date_offset_days


def test_different_batches_differ():
    assert UidMap.new()("1.2.3") != UidMap.new()("1.2.3")


def test_uuid_version_and_variant_bits_are_set():
    value = int(UidMap(b"k" * 32)("1.2.3")[5:])
    raw = value.to_bytes(16, "big")
    assert raw[6] >> 4 == 8
    assert raw[8] >> 6 == 0b10


def test_date_offset_is_in_the_past_and_bounded():
    offsets = {UidMap.new().date_offset_days for _ in range(50)}
    assert all(-3653 <= days <= -365 for days in offsets)
    assert len(offsets) > 1


def test_short_secret_is_refused():
    with pytest.raises(ValueError, match="16 bytes"):
        UidMap(b"short")
