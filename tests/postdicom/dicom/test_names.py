from __future__ import annotations

import pytest

from postdicom.dicom.names import readable_name


@pytest.mark.parametrize(
    ("stored", "readable"),
    [
        ("Doe^Jane", "Doe, Jane"),
        ("Doe^Jane^Q", "Doe, Jane Q"),
        ("Last^First^mid^pre", "Last, pre First mid"),
        ("Doe^John^^Dr^Jr", "Doe, Dr John, Jr"),
        ("Doe", "Doe"),
        ("^Jane", "Jane"),
        ("", ""),
        ("^^^", ""),
        ("Yamada^Tarou=山田^太郎=やまだ^たろう", "Yamada, Tarou (山田, 太郎 / やまだ, たろう)"),
        ("=山田^太郎", "山田, 太郎"),
        ("Wang^XiaoDong=王^小東=", "Wang, XiaoDong (王, 小東)"),
    ],
)
def test_readable_name(stored, readable):
    assert readable_name(stored) == readable
