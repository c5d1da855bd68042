"""One URL, one template, an optional fragment for htmx (house style rule 4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def render_page(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any],
    *,
    fragment: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render ``template``; for an htmx request render only its ``{% partialdef fragment %}``.
    The response varies on ``HX-Request`` so caches never mix the two."""
    name = f"{template}#{fragment}" if fragment and getattr(request, "htmx", False) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response
