"""How the HTTP API answers a failure: ``{"error": message}`` as JSON, the message also in
``X-Error-Reason`` (as PostDICOM answers), never a login redirect or an HTML page."""

from __future__ import annotations

import json

from django.http import HttpResponse

from postdicom.errors import Forbidden, InvalidInput, NotFound, PostDicomError, Unavailable, Unsupported

#: Seconds a client is asked to wait before trying again after a 503.
RETRY_AFTER_UNAVAILABLE = 30


def problem(status: int, message: str, **extra: object) -> HttpResponse:
    response = HttpResponse(
        json.dumps({"error": message, **extra}), status=status, content_type="application/json; charset=utf-8"
    )
    response["X-Error-Reason"] = " ".join(message.split())[:200]
    response["Cache-Control"] = "no-store"
    return response


_STATUS: tuple[tuple[type[PostDicomError], int], ...] = (
    (NotFound, 404),
    (Forbidden, 403),
    (InvalidInput, 400),
    (Unsupported, 501),
    (Unavailable, 503),
)


def service_problem(error: PostDicomError) -> HttpResponse:
    """The answer to a service error: 404, 403, 400, 501, or 503 with ``Retry-After``."""
    status = next((code for kind, code in _STATUS if isinstance(error, kind)), 500)
    response = problem(status, error.message)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
    return response
