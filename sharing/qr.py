"""The QR code of a share link, as inline SVG (segno: no image file, no script)."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(url: str, *, title: str = "") -> SafeString:
    """An SVG QR code of ``url`` (error correction M, 4 px modules, dark on white)."""
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=4, border=2, dark="#1b2733", light="#ffffff", title=title or None, svgclass="qr")
    return mark_safe(svg)
