"""One size formatter for every page: 1024 steps, one decimal, the language's decimal mark."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from portal.sizes import file_size

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("size", "english", "spanish"),
    [
        (0, "0 B", "0 B"),
        (1023, "1023 B", "1023 B"),
        (1280, "1.3 KB", "1,3 KB"),  # a half rounds up, as in the browser
        (64819, "63.3 KB", "63,3 KB"),
        (526336, "514.0 KB", "514,0 KB"),
        (5 * 1024**3 + 123456789, "5.1 GB", "5,1 GB"),
    ],
)
def test_sizes_read_alike_in_each_language(size: int, english: str, spanish: str) -> None:
    for language, expected in (("en", english), ("es", spanish)):
        with translation.override(language):
            assert file_size(size) == expected.replace(" ", NBSP)
            rendered = Template("{% load rayport %}{{ n|file_size }}").render(Context({"n": size}))
            assert rendered == expected.replace(" ", NBSP)
