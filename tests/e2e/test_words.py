"""Words and numbers read the same everywhere: a size counted by the upload script looks like
one the server wrote, in English and in Spanish."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from portal.sizes import file_size
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

SIZES = [0, 1, 1023, 1024, 1280, 64819, 526336, 10 * 1024**2 - 1, 5 * 1024**3 + 123456789, 3 * 1024**5]


def test_the_browser_writes_sizes_like_the_server(page, staff_user):
    sign_in(page, "sam", PASSWORD)
    page.goto(reverse("orders:upload"))
    for language, code in (("Español", "es"), ("English", "en")):
        page.get_by_role("banner").get_by_role("button", name=language).click()
        expect(page.locator("html")).to_have_attribute("lang", code)
        in_browser = page.evaluate("(sizes) => sizes.map((n) => window.Rayport.fileSize(n))", SIZES)
        with translation.override(code):
            assert in_browser == [file_size(n) for n in SIZES]
