"""The start page and the error pages."""

from __future__ import annotations

import re
import sys

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from portal.access import me
from portal.logging_filters import redact_share_tokens
from postdicom import get_api
from postdicom.busy import service_away
from postdicom.server.custom.endpoint import refusal
from postdicom.server.problems import RETRY_AFTER_UNAVAILABLE, service_problem
from postdicom.types import Capability, Institution


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Staff start on the order list when this server has one; otherwise on an overview. A
    server that does not say the user's institutions (the cloud backend) names those the
    portal works with there instead (``list_institutions``: configured for the cloud)."""
    api = get_api()
    if Capability.SEARCH_ORDERS in api.capabilities:
        return redirect("orders:list")
    user_info = me(request)
    offered: tuple[Institution, ...] = ()
    if not user_info.role_known and Capability.LIST_INSTITUTIONS in api.capabilities:
        offered = api.list_institutions(actor=request.user)  # type: ignore[arg-type]  # signed in
    return render(request, "portal/home.html", {"section": "home", "user_info": user_info, "offered": offered})


def _problem(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "problem.html", {"title": title, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _("The address or the form sent was not valid. Go back and try again.")
    return _problem(request, 400, _("That request could not be read"), message)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent after its security token expired (a long pause, or signing in again in
    another tab): say what to do instead of Django's technical page."""
    message = _("This form was open for too long, or you signed in again elsewhere. Reload the page and try again.")
    return _problem(request, 403, _("This form has expired"), message)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, rendered without the request: no database, no context processors (either
    may be what failed). Should even that fail (say the static files manifest is missing), a
    plain page in both languages.

    An error that only says the database or the cache is gone for now (``service_away``),
    raised where ``ServiceErrorMiddleware`` does not see it (a middleware's query), is a 503
    with ``Retry-After`` instead: the same page saying to try again, or the API's JSON."""
    away = service_away(error) if (error := sys.exc_info()[1]) is not None else None
    if away is not None and "/dicomweb/" in request.path:
        return service_problem(away)
    try:
        html = loader.get_template("500.html").render({"unavailable": away is not None})
    except Exception:
        html = _PLAIN_500
    if away is None:
        return HttpResponseServerError(html)
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
    return response


_PLAIN_500 = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Rayport</title></head><body>"
    "<h1>Something went wrong</h1><p>Please try again in a moment.</p>"
    "<h1 lang='es'>Algo salió mal</h1><p lang='es'>Inténtelo de nuevo en un momento.</p></body></html>"
)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _("Your account may not open this page. If you need it, ask an administrator.")
    return _problem(request, 403, _("Not allowed"), message)


#: The DICOMweb read side mounted under a view link's or a share's token (``/v/<token>/dicomweb/``,
#: ``/s/<token>/dicomweb/``).
_TOKEN_MOUNT = re.compile(r"^/[vs]/[^/]+/dicomweb/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    path = request.path
    mount = _TOKEN_MOUNT.match(path)
    if mount:
        # The token opens the link: the answer (and its X-Error-Reason header) names the
        # address without it, redacted as the logs are.
        path = redact_share_tokens(path)
    if mount or path.startswith(reverse("dicomweb:store")):
        # Scripts calling the HTTP API (or a viewer reading a link's images) get its JSON
        # refusal, never an HTML page.
        unknown = _("The HTTP API has no address %(path)s (docs/api.md lists them).") % {"path": path}
        return refusal(404, unknown, {"": [unknown]})
    message = _("This page does not exist, or you may not see it.")
    return _problem(request, 404, _("Not found"), message)
