"""What every PostDICOM custom endpoint shares: GET only, the caller signed in, the
``<Op>Parameters`` header read by its ``Spec``, JSON answers, and every refusal mapped once.

Answers are JSON objects with ``"Success": true`` (PostDICOM's result shape). A refusal is a
4xx/5xx with ``X-Error-Reason`` and ``{"Success": false, "Message": …, "Errors": {parameter:
[messages]}}``, the parameters named as PostDICOM names them (a service refusal of the
contract field ``birth_date`` names ``PatientBirthdate``). Service errors: ``InvalidInput``
400, ``NotFound`` 404, ``Forbidden`` 403, ``Unsupported`` 501, ``Unavailable`` 503 with
``Retry-After``; never a 500 page or a login redirect.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from postdicom.errors import Forbidden, InvalidInput, NotFound, PostDicomError, Unavailable, Unsupported
from postdicom.server.custom import params

#: Seconds a client should wait before trying again after a 503.
RETRY_AFTER = 30

_STATUS: tuple[tuple[type[PostDicomError], int], ...] = (
    (InvalidInput, 400),
    (NotFound, 404),
    (Forbidden, 403),
    (Unsupported, 501),
    (Unavailable, 503),
)

Handler = Callable[[User, dict[str, Any]], dict[str, Any]]


def api_user(request: HttpRequest) -> User | None:
    """The user the call acts as, or None. The one place that decides how an API caller is
    known (today the portal's session; HTTP Basic and API keys join here)."""
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated and user.is_active else None


def ok(**body: Any) -> dict[str, Any]:
    """A successful answer: ``{"Success": true, "Message": "", …body}``."""
    return {"Success": True, "Message": "", **body}


def _json(status: int, body: Mapping[str, Any]) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    return response


def refusal(status: int, message: str, errors: Mapping[str, Sequence[str]] | None = None) -> HttpResponse:
    """A refusal: the message in ``X-Error-Reason`` (one line, ASCII-safe) and in the body,
    with the per-parameter messages."""
    response = _json(status, {"Success": False, "Message": message, "Errors": dict(errors or {})})
    response["X-Error-Reason"] = header_safe(message)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER)
    return response


_PLAIN = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "..."})


def header_safe(text: str) -> str:
    """``text`` on one line of at most 200 characters that any client reads alike: typographic
    punctuation as ASCII, Latin-1 letters kept (what HTTP headers carry), anything else escaped."""
    line = " ".join(text.split())[:200].translate(_PLAIN)
    return line.encode("latin-1", "backslashreplace").decode("latin-1")


def _first(errors: Mapping[str, Sequence[str]]) -> str:
    """ "Parameter: message" of the first error, or the message alone for the header."""
    name, messages = next(iter(errors.items()))
    return f"{name}: {messages[0]}" if name else messages[0]


def _renamed(error: InvalidInput, names: Mapping[str, str]) -> dict[str, list[str]]:
    """The service's field errors under the endpoint's parameter names ("" for the input
    as a whole)."""
    renamed: dict[str, list[str]] = {}
    for field, messages in error.field_errors.items():
        name = "" if field == InvalidInput.NON_FIELD else names.get(field, field)
        renamed.setdefault(name, []).extend(messages)
    return renamed


def service_refusal(error: PostDicomError, spec: params.Spec) -> HttpResponse:
    status = next((code for kind, code in _STATUS if isinstance(error, kind)), 400)
    if isinstance(error, InvalidInput):
        errors = _renamed(error, spec.field_names())
        return refusal(status, _first(errors), errors)
    return refusal(status, error.message)


def endpoint(spec: params.Spec) -> Callable[[Handler], Callable[[HttpRequest], HttpResponse]]:
    """Make ``handler(actor, values)`` (values read by ``spec``; returns the JSON body) a
    view: GET only (405 otherwise), 401 for an unknown caller, 400 naming the wrong
    parameters, service errors mapped as the module says."""

    def decorate(handler: Handler) -> Callable[[HttpRequest], HttpResponse]:
        @require_GET
        @wraps(handler)
        def view(request: HttpRequest) -> HttpResponse:
            actor = api_user(request)
            if actor is None:
                response = refusal(401, _("Sign in with your user name and password (HTTP Basic)."))
                response["WWW-Authenticate"] = 'Basic realm="Rayport", charset="UTF-8"'
                return response
            try:
                given = params.read(request, spec)
            except params.BadParameters as error:
                return refusal(400, _first(error.errors), error.errors)
            try:
                body = handler(actor, given.values)
            except PostDicomError as error:
                return service_refusal(error, spec)
            response = _json(200, body)
            if given.ignored:
                names = header_safe(", ".join(given.ignored)).replace('"', "'")
                response["Warning"] = f'299 rayport "Unknown parameters were ignored: {names}"'
            return response

        view.spec = spec  # type: ignore[attr-defined]
        return view

    return decorate
