"""Talking to a PostDICOM-compatible HTTP API: one pooled client, timeouts, retries, errors.

Everything the cloud backend sends goes through ``Transport``, so that nothing from httpx
escapes it: a connection failure or a busy server becomes ``Unavailable``, a refusal becomes
the service error it stands for (``InvalidInput``, ``NotFound``, ``Forbidden``,
``Unsupported``), and the caller never sees a status code.

* One ``httpx.Client`` per process and per set of options (``client_for``): its connection
  pool is reused by every call, and a forked worker makes its own instead of sharing sockets
  with its parent.
* Idempotent calls (a GET, PUT or DELETE) are retried with exponential backoff on a
  connection error, a timeout, and 502/503/504 (``Retry-After`` honoured, capped); a POST is
  sent once, because the server may have acted on it before the connection broke. PostDICOM's
  custom endpoints are all GETs, yet some of them act (create an order, a folder, a share;
  delete an order): ``custom`` retries only those its caller says are safe to repeat.
* The custom endpoints take their parameters the way PostDICOM's own clients send them: one
  JSON object in a ``<Op>Parameters`` header, every value a string (lists as JSON text,
  booleans "True"/"False"), ASCII-only with ``\\uXXXX`` escapes so that a non-Latin patient
  name survives a header (``custom_header``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
from django.utils.translation import gettext as _

from postdicom.errors import Forbidden, InvalidInput, NotFound, PostDicomError, Unavailable, Unsupported

#: Statuses worth another try on an idempotent call: the server or a proxy in front is busy.
RETRYABLE_STATUSES = frozenset({502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: The longest wait between two tries, whatever ``Retry-After`` says.
MAX_BACKOFF = 10.0


@dataclass(frozen=True)
class CloudOptions:
    """Where the API is and how to sign in: ``base_url`` (its DICOMweb base, e.g.
    ``https://rayport.example/dicomweb/``) and either an ``api_key`` or a ``username`` with
    a ``password`` (HTTP Basic, PostDICOM's way). Timeouts are in seconds; ``retries`` is how
    many more times an idempotent call is tried after the first.

    ``institutions``: the institutions this portal works with, as ordered ``(uuid, name)``
    pairs (a UUID or its text; a mapping of uuid → name is taken in its order too).
    PostDICOM's HTTP API cannot list them (CreatePatientOrder takes an InstitutionUuid that
    its users copy from their account), so they are configuration (docs/decisions.md)."""

    base_url: str
    username: str = ""
    password: str = field(default="", repr=False)
    api_key: str = field(default="", repr=False)
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    retries: int = 3
    backoff: float = 0.25
    institutions: tuple[tuple[UUID, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "institutions", institution_pairs(self.institutions))
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http:// or https:// URL.")
        if not self.api_key and not (self.username and self.password):
            raise ValueError("Give an api_key, or a username and a password.")
        if self.retries < 0 or self.backoff < 0:
            raise ValueError("retries and backoff cannot be negative.")

    @property
    def authorization(self) -> str:
        if self.api_key:
            return f"Bearer {self.api_key}"
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")


def institution_pairs(given: object) -> tuple[tuple[UUID, str], ...]:
    """``given`` (pairs, or a mapping of uuid → name) as ``(UUID, name)`` pairs in their
    order; ``ValueError`` naming the first bad entry (not a UUID, a blank name, an id twice)."""
    items = list(given.items()) if isinstance(given, Mapping) else list(given or ())  # type: ignore[call-overload]
    pairs: list[tuple[UUID, str]] = []
    for item in items:
        try:
            raw_id, raw_name = item
        except (TypeError, ValueError):
            raise ValueError(f"institutions: {item!r} is not a (uuid, name) pair.") from None
        try:
            institution_id = raw_id if isinstance(raw_id, UUID) else UUID(str(raw_id).strip())
        except ValueError:
            raise ValueError(f"institutions: {raw_id!r} is not a UUID.") from None
        name = str(raw_name).strip() if isinstance(raw_name, str) else ""
        if not name:
            raise ValueError(f"institutions: {institution_id} has no name.")
        if any(institution_id == seen for seen, _name in pairs):
            raise ValueError(f"institutions: {institution_id} is given twice.")
        pairs.append((institution_id, name))
    return tuple(pairs)


_clients: dict[tuple[int, CloudOptions], httpx.Client] = {}
_clients_lock = threading.Lock()


def client_for(options: CloudOptions, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The pooled client of this process for ``options`` (a test may pass a transport, which
    gets a client of its own)."""
    if transport is not None:
        return _new_client(options, transport)
    key = (os.getpid(), options)
    with _clients_lock:
        client = _clients.get(key)
        if client is None or client.is_closed:
            client = _clients[key] = _new_client(options, None)
        return client


def _new_client(options: CloudOptions, transport: httpx.BaseTransport | None) -> httpx.Client:
    base = options.base_url if options.base_url.endswith("/") else options.base_url + "/"
    return httpx.Client(
        base_url=base,
        transport=transport,
        headers={"Authorization": options.authorization, "User-Agent": "Rayport cloud backend"},
        timeout=httpx.Timeout(options.read_timeout, connect=options.connect_timeout),
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        follow_redirects=False,
    )


def custom_header(values: Mapping[str, object]) -> str:
    """The ``<Op>Parameters`` header value: every value a string as PostDICOM's clients send
    it (None → "", bool → "True"/"False", a date → YYYY-MM-DD, a UUID → its text, a list →
    JSON text of its items as strings), the whole object ASCII-only."""
    return json.dumps({name: _as_text(value) for name, value in values.items()}, ensure_ascii=True)


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (dt.date, UUID, int, str)):
        return str(value) if not isinstance(value, dt.date) else value.isoformat()
    if isinstance(value, Sequence):
        return json.dumps([_as_text(item) for item in value], ensure_ascii=True)
    raise TypeError(f"Cannot send {type(value).__name__} as a PostDICOM parameter.")


class Transport:
    """Sends requests for the cloud backend and turns every failure into a service error."""

    def __init__(self, options: CloudOptions, *, transport: httpx.BaseTransport | None = None) -> None:
        self.options = options
        self.client = client_for(options, transport)
        self._sleep = time.sleep

    def custom(
        self,
        path: str,
        operation: str,
        values: Mapping[str, object],
        *,
        headers: Mapping[str, str] | None = None,
        repeatable: bool = False,
    ) -> Any:
        """Call a custom endpoint (``GET <base>/<path>`` with ``<operation>Parameters``) and
        return its JSON answer. Though a GET, it is tried once unless ``repeatable`` (the
        endpoint only reads, or doing it twice is doing it once): a retried CreatePatientOrder
        whose first try reached the server would make a second order."""
        sent = {**(headers or {}), f"{operation}Parameters": custom_header(values)}
        return _json(self.request("GET", path, headers=sent, repeatable=repeatable))

    def get_json(
        self,
        path: str,
        *,
        params: Mapping[str, str | Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """A DICOM JSON answer (QIDO-RS); an empty body (204 No Content) is no results."""
        response = self.request(
            "GET", path, params=params, headers={**(headers or {}), "Accept": "application/dicom+json"}
        )
        return _json(response) if response.content else []

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | Iterator[bytes] | None = None,
        answers: frozenset[int] = frozenset(),
        repeatable: bool | None = None,
    ) -> httpx.Response:
        """One call, read whole (for small answers); failures raised as service errors, but
        for the statuses in ``answers``, which the caller reads (STOW-RS: 409 is an answer).
        ``repeatable``: whether it may be retried (default: when its method is idempotent)."""
        with self.stream(
            method, path, params=params, headers=headers, content=content, answers=answers, repeatable=repeatable
        ) as response:
            response.read()
            return response

    @contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | Iterator[bytes] | None = None,
        answers: frozenset[int] = frozenset(),
        repeatable: bool | None = None,
    ) -> Iterator[httpx.Response]:
        """One call whose successful answer is read by the caller in pieces
        (``response.iter_bytes()``); errors are raised before the block is entered."""
        if repeatable is None:
            repeatable = method in IDEMPOTENT_METHODS
        tries = 1 + (self.options.retries if repeatable else 0)
        for attempt in range(1, tries + 1):
            last = attempt == tries
            request = self.client.build_request(method, path, params=params, headers=headers, content=content)
            try:
                response = self.client.send(request, stream=True)
            except httpx.TransportError as error:
                if last:
                    raise Unavailable(_("The image server cannot be reached; try again in a moment.")) from error
                self._sleep(self._delay(attempt, None))
                continue
            if response.status_code in RETRYABLE_STATUSES and not last:
                response.close()
                self._sleep(self._delay(attempt, response.headers.get("Retry-After")))
                continue
            try:
                if response.status_code >= 400 and response.status_code not in answers:
                    response.read()
                    raise error_for(response)
                yield response
            except httpx.HTTPError as error:  # a broken connection, or a body that cannot be decoded
                raise Unavailable(_("The image server stopped answering; try again in a moment.")) from error
            finally:
                response.close()
            return

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after and retry_after.isdigit():
            return min(float(retry_after), MAX_BACKOFF)
        return min(self.options.backoff * 2 ** (attempt - 1), MAX_BACKOFF)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise Unavailable(_("The image server sent an answer that could not be read.")) from error


def error_for(response: httpx.Response) -> PostDicomError:
    """The service error a refused call stands for. The message is the server's
    ``X-Error-Reason`` (or its JSON ``message``/``Message``), else a generic one; a 400 or
    422 that names a parameter becomes ``InvalidInput`` on that field."""
    body = _error_body(response)
    reason = response.headers.get("X-Error-Reason") or _first(body, "message", "Message", "detail", "error")
    status = response.status_code
    if status in (400, 422):
        fields = body.get("Errors") or body.get("errors")
        if isinstance(fields, Mapping) and fields:
            return InvalidInput(
                {
                    str(k) or InvalidInput.NON_FIELD: v if isinstance(v, (str, list)) else str(v)
                    for k, v in fields.items()
                }
            )
        parameter = _first(body, "parameter", "Parameter", "field")
        message = reason or _("The image server refused the request.")
        return InvalidInput({parameter: message} if parameter else message)
    if status == 404:
        return NotFound(reason or _("Not found on the image server."))
    if status == 403:
        return Forbidden(reason or _("The image server does not allow this."))
    if status in (405, 501):
        return Unsupported(reason or _("The image server cannot do this."))
    if status == 401:
        return Unavailable(_("The image server refused the portal's credentials; tell your administrator."))
    if status == 429:
        return Unavailable(reason or _("The image server is busy; try again in a moment."))
    return Unavailable(reason or _("The image server failed (%(status)s); try again in a moment.") % {"status": status})


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _first(body: Mapping[str, Any], *names: str) -> str:
    for name in names:
        value = body.get(name)
        if isinstance(value, str) and value:
            return value
    return ""
