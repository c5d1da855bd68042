"""The order names are listed in: alphabetical as a Spanish or English reader expects.

Python's ``sorted`` (and a database's default or "C" collation) compares code points, so
"Ávila" came after "Zamora", and ``casefold()`` alone does not change that. ``sort_key``
compares names ignoring accents and case first ("Avila" < "Ávila" < "Bilbao"), then with
accents (the plain spelling first), then case, then the exact text, so that equal keys only
ever come from equal names and the order never depends on the input's order.

The folder lists are sorted with it in Python, after the query, so they come out the same
on SQLite and PostgreSQL whatever the database's collation (an ICU collation would need
PostgreSQL built with ICU, and SQLite has none).
"""

from __future__ import annotations

import unicodedata

#: Letters that Unicode does not decompose into a base letter and a mark, sorted as the
#: base letter (as ICU's root collation does at its primary level).
_BASE_LETTERS = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "ŧ": "t"})


def fold(text: str) -> str:
    """``text`` without accents and case: "Ávila" → "avila", "Łódź" → "lodz", "Straße" →
    "strasse"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_BASE_LETTERS)


def sort_key(text: str) -> tuple[str, str, str]:
    """The key that sorts names alphabetically, accents and case ignored first."""
    return (fold(text), text.casefold(), text)
