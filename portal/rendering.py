"""One URL, one template, an optional fragment for htmx (house style rule 4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme


def render_page(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any],
    *,
    fragment: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render ``template``; for an htmx request render only its ``{% partialdef fragment %}``
    (except when htmx restores history after the back button: then the whole page).
    The response varies on ``HX-Request`` so caches never mix the two."""
    htmx = getattr(request, "htmx", None)
    # A history restore (the back button, with htmx's cache off) needs the whole page.
    partial = bool(fragment and htmx and not htmx.history_restore_request)
    name = f"{template}#{fragment}" if partial else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def redirect_back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page named in ``next`` (POST or GET) when it is on this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    # A URL, never a view name: ``redirect("1234")`` would try to reverse it.
    return HttpResponseRedirect(target) if safe else redirect(default)
