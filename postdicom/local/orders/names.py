"""Patient names: cleaning what people type, and the normalized form that search uses."""

from __future__ import annotations

import unicodedata

from postdicom.types import MIN_NAME_SEARCH


def normalize_name(text: str) -> str:
    """Lower-case, accent-free, space-separated words of a name or a name query.

    NFKD, combining marks stripped, case-folded, DICOM's ``^`` component separator (and any
    run of spaces) becomes one space: "PEÑA^María José" → "pena maria jose",
    "Ωμέγα" → "ωμεγα", "山田^太郎" → "山田 太郎". Stored in ``patient_name_search`` and
    applied to queries, so search ignores case and accents in every script.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().replace("^", " ").split())


def query_words(text: str) -> list[str]:
    """The words of a name query, normalized as stored names are (``normalize_name``). A
    comma separates words too, so a name typed as the pages show it ("MÜLLER, José") finds
    what "müller josé" and "MÜLLER^José" find."""
    return normalize_name(text.replace(",", " ")).split()


def search_weight(text: str) -> int:
    """The length that counts for the minimum of a name search: East Asian wide characters
    count twice, because one of them says as much as a Latin syllable."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text if not c.isspace())


def long_enough(text: str) -> bool:
    return search_weight(" ".join(query_words(text))) >= MIN_NAME_SEARCH
