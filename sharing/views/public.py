"""The public link of a share, ``/s/<token>/``.

A placeholder that only answers whether the link works: the public pages (password, the
shared orders, upload-only) are built on ``open_share`` / ``reopen_share`` in their own
branch, which replaces this module. It exists so that the link can be reversed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.rendering import render_page
from postdicom import get_api


@require_http_methods(["GET"])
def public_share(request: HttpRequest, token: str) -> HttpResponse:
    door = get_api().share_status(token=token)
    if door.refusal is not None:
        return render_page(
            request,
            "problem.html",
            {"title": _("This link does not work"), "message": _("The link is unknown, expired or revoked.")},
            status=404,
        )
    return render_page(
        request,
        "problem.html",
        {"title": door.title or _("Shared images"), "message": _("This page is not ready yet.")},
        status=404,
    )
