"""Service-layer errors that reach a view become the right HTTP answer, never a 500."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from postdicom.busy import service_away
from postdicom.errors import Forbidden, InvalidInput, NotFound, Unavailable, Unsupported
from postdicom.server.problems import RETRY_AFTER_UNAVAILABLE


class ServiceErrorMiddleware:
    """``NotFound`` → 404, ``Forbidden`` → 403, ``Unsupported`` → 501, ``Unavailable`` → 503,
    an unhandled ``InvalidInput`` → 400, each with a page that says what happened; a database
    or cache that is busy or gone (``service_away``) → 503 with ``Retry-After``. What fails
    before the view (a middleware's query) reaches ``portal.views.home.server_error``, which
    answers those with 503 too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if (away := service_away(exc)) is not None:  # SQLite's lock, or a service gone for now
            response = _problem(request, 503, _("Try again in a moment"), away.message)
            response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
            return response
        if isinstance(exc, NotFound):
            raise Http404(exc.message) from exc
        if isinstance(exc, Forbidden):
            raise PermissionDenied(exc.message) from exc
        if isinstance(exc, Unsupported):
            return _problem(request, 501, _("Not available"), exc.message)
        if isinstance(exc, Unavailable):
            return _problem(request, 503, _("Try again in a moment"), exc.message)
        if isinstance(exc, InvalidInput):
            return _problem(request, 400, _("That did not work"), exc.message)
        return None


def _problem(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "problem.html", {"title": title, "message": message}, status=status)
