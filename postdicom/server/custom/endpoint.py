"""What every PostDICOM custom endpoint shares: GET only and the caller signed in (the
``/dicomweb/`` sign-in, ``postdicom.server.auth.api_view``: HTTP Basic, API keys, or the
session), the ``<Op>Parameters`` header read by its ``Spec``, JSON answers, and every
refusal mapped once.

Answers are JSON objects with ``"Success": true`` (PostDICOM's result shape). A refusal of the
parameters or by the service is a 4xx/5xx with ``X-Error-Reason`` and ``{"Success": false,
"Message": …, "Errors": {parameter: [messages]}, "error": …}`` (``error`` as every
``/dicomweb/`` refusal has it), the parameters named as PostDICOM names them (a service
refusal of the contract field ``birth_date`` names ``PatientBirthdate``). Service errors keep
the statuses of ``postdicom.server.problems.service_problem`` (400, 404, 403, 501, 503 with
``Retry-After``); a 404's ``Errors`` names the parameter whose value was not found.
Sign-in failures (401, 429) and other methods (405) are ``api_view``'s.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from postdicom.errors import InvalidInput, NotFound, PostDicomError
from postdicom.server.auth import api_view
from postdicom.server.custom import params
from postdicom.server.problems import problem, service_problem

Handler = Callable[[User, dict[str, Any]], dict[str, Any]]


def ok(**body: Any) -> dict[str, Any]:
    """A successful answer: ``{"Success": true, "Message": "", …body}``."""
    return {"Success": True, "Message": "", **body}


_PLAIN = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "..."})


def header_safe(text: str) -> str:
    """``text`` on one line of at most 200 characters that any client reads alike: typographic
    punctuation as ASCII, Latin-1 letters kept (what HTTP headers carry), anything else escaped."""
    line = " ".join(text.split())[:200].translate(_PLAIN)
    return line.encode("latin-1", "backslashreplace").decode("latin-1")


def _postdicom(response: HttpResponse, message: str, errors: Mapping[str, Sequence[str]]) -> HttpResponse:
    """``response`` (a ``problem``: its status and headers) with PostDICOM's refusal body."""
    body = {"Success": False, "Message": message, "Errors": {k: list(v) for k, v in errors.items()}, "error": message}
    response.content = json.dumps(body, ensure_ascii=False).encode()
    response["X-Error-Reason"] = header_safe(message)
    return response


def refusal(status: int, message: str, errors: Mapping[str, Sequence[str]] | None = None) -> HttpResponse:
    return _postdicom(problem(status, message), message, errors or {})


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


class MissingParameter(NotFound):
    """Raised by an endpoint (not the service) when it knows which parameter named what was
    not found (an order that is not in the institution given beside it)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


#: The kinds of parameters that name something that may not be found.
_NAMING = frozenset({params.Kind.UUID, params.Kind.UUID_LIST, params.Kind.ORDER_LIST})


def _not_found(error: NotFound, spec: params.Spec, values: Mapping[str, Any]) -> dict[str, list[str]]:
    """What was not found, under the parameter that named it: the endpoint's word
    (``MissingParameter``), else the one id the request gave the service; "" (the request
    as a whole) when it gave several and the service's message (which says what it did not
    find: "No such folder.") must tell them apart."""
    if isinstance(error, MissingParameter):
        return {error.parameter: [error.message]}
    given = [
        p.name
        for p in spec.params
        if p.kind in _NAMING and p.fields and values.get(p.name) not in (None, (), "")  # fields: the service got it
    ]
    return {given[0] if len(given) == 1 else "": [error.message]}


def service_refusal(error: PostDicomError, spec: params.Spec, values: Mapping[str, Any] | None = None) -> HttpResponse:
    """The status and headers every ``/dicomweb/`` answer to ``error`` has, PostDICOM's body:
    ``Errors`` names the refused parameters (``InvalidInput``) or what was not found (404)."""
    errors: dict[str, list[str]] = {}
    if isinstance(error, InvalidInput):
        errors = _renamed(error, spec.field_names())
    elif isinstance(error, NotFound):
        errors = _not_found(error, spec, values or {})
    message = _first(errors) if isinstance(error, InvalidInput) and errors else error.message
    return _postdicom(service_problem(error), message, errors)


def endpoint(spec: params.Spec) -> Callable[[Handler], Callable[[HttpRequest], HttpResponseBase]]:
    """Make ``handler(actor, values)`` (values read by ``spec``; returns the JSON body) a
    view: GET only, the caller signed in (``api_view``), 400 naming the wrong parameters,
    service errors mapped as the module says."""

    def decorate(handler: Handler) -> Callable[[HttpRequest], HttpResponseBase]:
        @api_view(methods=("GET",))
        def view(request: HttpRequest) -> HttpResponse:
            assert isinstance(request.user, User)  # api_view let only a signed-in user through
            try:
                given = params.read(request, spec)
            except params.BadParameters as error:
                return refusal(400, _first(error.errors), error.errors)
            try:
                body = handler(request.user, given.values)
            except PostDicomError as error:
                return service_refusal(error, spec, given.values)
            response = HttpResponse(
                json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8"
            )
            response["Cache-Control"] = "no-store"
            if given.ignored:
                names = header_safe(", ".join(given.ignored)).replace('"', "'")
                response["Warning"] = f'299 rayport "Unknown parameters were ignored: {names}"'
            return response

        view.__name__ = view.__qualname__ = handler.__name__
        view.__doc__ = handler.__doc__
        view.spec = spec  # type: ignore[attr-defined]
        return view

    return decorate
