"""postdicom.collation: names sorted as a reader expects, accents and case ignored first."""

from __future__ import annotations

import random

from postdicom.collation import fold, sort_key


def test_accented_names_sort_among_their_letter():
    expected = ["Avila", "Ávila", "ávila", "Bilbao", "Cádiz", "Cadiz2", "Łódź", "Ørsted", "Oviedo", "Zamora"]
    shuffled = expected[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=sort_key) == expected


def test_the_plain_spelling_comes_first_and_equal_keys_mean_equal_names():
    assert sort_key("Avila") < sort_key("Ávila")
    assert sort_key("avila") < sort_key("Avila") or sort_key("Avila") < sort_key("avila")
    assert len({sort_key(n) for n in ("Avila", "avila", "Ávila", "ávila", "AVILA")}) == 5


def test_fold():
    assert fold("Ávila") == "avila"
    assert fold("PEÑA") == "pena"
    assert fold("Straße") == "strasse"
    assert fold("Łódź") == "lodz"
    assert fold("山田") == "山田"
