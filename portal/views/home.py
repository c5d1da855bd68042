"""The start page and the error pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from portal.access import me
from postdicom import get_api
from postdicom.types import Capability


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Staff start on the order list when this server has one; otherwise on an overview."""
    if Capability.SEARCH_ORDERS in get_api().capabilities:
        return redirect("orders:list")
    return render(request, "portal/home.html", {"section": "home", "user_info": me(request)})


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _("Your account may not open this page. If you need it, ask an administrator.")
    return render(request, "problem.html", {"title": _("Not allowed"), "message": message}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _("This page does not exist, or you may not see it.")
    return render(request, "problem.html", {"title": _("Not found"), "message": message}, status=404)
