"""A PDF attached to an order opens on its own page; where the browser has no PDF viewer of
its own, pdf.js (vendored, under the page's strict policy) draws every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from postdicom import get_api
from postdicom.types import UploadFile
from tests.conftest import PASSWORD
from tests.e2e.conftest import shot, sign_in
from tests.orders.conftest import new_order
from tests.uploads.conftest import local_storage

pytestmark = pytest.mark.e2e


def two_page_pdf() -> bytes:
    """A valid PDF of two pages of text in Helvetica, a font it does not embed (pdf.js then
    loads the vendored standard fonts)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>",
    ]
    for number, text in ((4, b"Referral letter, page one"), (6, b"Second page: findings")):
        stream = b"BT /F1 24 Tf 72 700 Td (" + text + b") Tj ET"
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R"
            b" /Resources << /Font << /F1 7 0 R >> >> >>" % number
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for index, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % index + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_pdf_js_draws_every_page_where_the_browser_cannot(page, settings, staff_user, clinic, tmp_path):
    local_storage(settings, tmp_path)
    order = new_order(staff_user, clinic, accession_number="PDF-1")
    path = tmp_path / "referral.pdf"
    path.write_bytes(two_page_pdf())
    (document,) = (
        get_api()
        .upload_documents(
            actor=staff_user,
            order_id=order.id,
            files=[UploadFile(name="referral.pdf", path=str(path), size=path.stat().st_size)],
        )
        .added
    )
    sign_in(page, "sam", PASSWORD)
    page.goto(f"/orders/{order.id}/")
    link = page.locator("#documents").get_by_role("link", name="Open", exact=True)
    assert link.get_attribute("href") == f"/orders/{order.id}/documents/{document.id}/pdf/"
    # As a browser without a PDF viewer of its own: pdf.js draws it.
    page.goto(f"/orders/{order.id}/documents/{document.id}/pdf/?pdfjs=1")
    body = page.locator("[data-pdf]")
    expect(body).to_have_attribute("data-state", "shown")
    assert body.get_attribute("data-pages") == "2"
    canvases = page.locator("canvas.pdf-canvas")
    expect(canvases).to_have_count(2)
    assert canvases.first.get_attribute("aria-label") == "Page 1 of 2"
    # Text was drawn: the first page is not blank white.
    dark = canvases.first.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++; return n; }"""
    )
    assert dark > 100
    shot(page, "pdf")
