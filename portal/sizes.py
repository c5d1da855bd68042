"""File sizes as people read them, the same on every page and in the upload script.

The rule: steps of 1024, the units B, KB, MB, GB and TB, whole bytes, one decimal above
them, the active language's decimal mark ("63.3 KB", "63,3 KB" in Spanish) and a no-break
space before the unit. ``static/js/rayport.js`` (``Rayport.fileSize``) follows the same rule
for sizes the browser counts itself (tests/e2e/test_order_table.py compares the two)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats

UNITS = ("B", "KB", "MB", "GB", "TB")


def file_size(size: int) -> str:
    value = float(max(0, size))
    step = 0
    while value >= 1024 and step < len(UNITS) - 1:
        value /= 1024
        step += 1
    if step == 0:
        return f"{int(value)}\u00a0{UNITS[0]}"
    # Halves round up, as the browser's Intl.NumberFormat does (Python's round() would not).
    rounded = Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{formats.number_format(rounded, 1, use_l10n=True)}\u00a0{UNITS[step]}"
