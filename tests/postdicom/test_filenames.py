"""Names of downloaded files: safe on Windows, macOS and Linux, any script kept."""

from __future__ import annotations

import pytest

from postdicom.filenames import NAME_MAX, safe_name, unique_name


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ('a<b>c:d"e/f\\g|h?i*j.pdf', "a_b_c_d_e_f_g_h_i_j.pdf"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("com1.pdf", "_com1.pdf"),
        ("console.pdf", "console.pdf"),
        ("trailing. . ", "trailing"),
        ("  spaced   out  ", "spaced out"),
        ("line\nbreak\ttab", "line break tab"),
        ("山田 太郎 · AN-1.zip", "山田 太郎 · AN-1.zip"),
        ("Παπαδόπουλος.pdf", "Παπαδόπουλος.pdf"),
        ("...", "file"),
        ("", "file"),
    ],
)
def test_safe_name(given, safe):
    assert safe_name(given) == safe


def test_long_names_keep_their_extension():
    name = safe_name("x" * 300 + ".pdf")
    assert len(name) == NAME_MAX
    assert name.endswith(".pdf")


def test_unique_names_ignore_case():
    taken: set[str] = set()
    assert unique_name("Report.pdf", taken) == "Report.pdf"
    assert unique_name("report.pdf", taken) == "report (2).pdf"
    assert unique_name("REPORT.PDF", taken) == "REPORT (3).PDF"
    assert unique_name("notes", taken) == "notes"
    assert unique_name("notes", taken) == "notes (2)"
