"""My shares: every share the user made (administrators: every share of the account)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_http_methods

from portal.access import AuthedRequest
from portal.rendering import render_page
from postdicom import get_api
from postdicom.types import ShareQuery


@require_http_methods(["GET"])
@login_required
def my_shares(request: AuthedRequest) -> HttpResponse:
    page = get_api().list_shares(actor=request.user, query=ShareQuery())
    return render_page(request, "sharing/mine.html", {"section": "shares", "page": page})
