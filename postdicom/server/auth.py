"""Who calls the HTTP API under ``/dicomweb/``: one place for every endpoint there.

A request acts as a portal user, found in one of three ways:

- ``Authorization: Bearer rpk_…``: an API key (``postdicom.local.api_keys``); the key's user.
- ``Authorization: Basic base64(name:password)``: a portal user's name and password, checked
  by Django's ``authenticate`` (so django-axes' lockouts apply, and an inactive user is
  refused), as PostDICOM's own clients call. The password may also be an API key: Basic with
  the key as the password and the key owner's user name (or an empty one) as the name, for
  clients that speak only Basic.
- with an administrator's API key, ``X-Rayport-Act-As: <user name>`` acts as that active user,
  with that user's rights (the cloud backend of another portal, acting for its signed-in
  user); any other credential naming someone else is refused.
- no ``Authorization`` header: the browser session (the viewer). Unsafe methods then need
  the CSRF token like any form; requests with credentials are exempt (no cookie is involved).

Credentials that fail are counted per client address (an IPv6 client per /64 network, which
it may fill with addresses of its choosing); every refusal of the credentials counts, django-axes'
lockout of a user included. Once ``RAYPORT_API_AUTH_FAILURES`` have failed in
``RAYPORT_API_AUTH_WINDOW_SECONDS``, that client is refused with 429 and ``Retry-After`` before
anything is checked (no password hashing, no key lookup). A correct password is hashed once
per process while a script keeps calling, not on every call (docs/decisions.md, "HTTP API
sign-in"): see ``_VerifiedPasswords``; a user locked out for this address is refused before
that memory is asked, so it never tells a right guess from a wrong one.

``api_view`` wraps a view with all of it; ``authenticate_request`` is the same check for code
that needs only the user.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, Literal

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from portal.throttle import client_subject, try_within, uncount
from postdicom.busy import service_away
from postdicom.context import calling_from, client_ip
from postdicom.errors import PostDicomError
from postdicom.local.access import role_of
from postdicom.local.api_keys import SECRET_START, authenticate_api_key
from postdicom.server.problems import problem, service_problem
from postdicom.types import ACT_AS_HEADER, Role, act_as_name

#: How the request proved who it is: ``request.api_credentials`` after ``authenticate_request``.
Credentials = Literal["session", "basic", "api_key"]

_THROTTLE_SCOPE = "api-auth-failures"
_REALM = 'realm="Rayport", charset="UTF-8"'
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class AuthenticationFailed(Exception):
    """The request does not act as anyone: 401 (no or wrong credentials) or 429 (too many
    failures from this client, or this user locked out). ``response()`` is the answer."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def response(self) -> HttpResponse:
        answer = problem(self.status, self.message)
        for name, value in self.headers.items():
            answer[name] = value
        return answer


def client_address(request: HttpRequest) -> str:
    """The address the portal's middleware attributed the request to (``RAYPORT_PROXY_COUNT``
    aware), else the socket's."""
    return client_ip() or request.META.get("REMOTE_ADDR") or ""


def _challenge(request: HttpRequest) -> dict[str, str]:
    """Scripts are told to send Basic credentials. A browser (``Sec-Fetch-Mode``, sent by every
    current browser) is not: its own password prompt would pop up over the viewer."""
    if request.headers.get("Sec-Fetch-Mode"):
        return {"WWW-Authenticate": 'Cookie realm="Rayport"'}
    return {"WWW-Authenticate": f"Basic {_REALM}"}


def authenticate_request(request: HttpRequest) -> User:
    """The active user that ``request`` acts as; also sets ``request.user`` and
    ``request.api_credentials``. Raises ``AuthenticationFailed`` (401 or 429).

    With an ``Authorization`` header, only that header counts (a session cookie sent beside
    it is ignored, so a script never acts as whoever last used the browser)."""
    header = request.META.get("HTTP_AUTHORIZATION", "").strip()
    if not header:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            user = _acting_for(request, user, "session")  # naming someone else: 403, never ignored
            request.api_credentials = "session"  # type: ignore[attr-defined]
            return user
        raise AuthenticationFailed(
            401, _("Sign in, or send a user name and password or an API key."), _challenge(request)
        )
    address = client_subject(client_address(request))
    window, limit = settings.RAYPORT_API_AUTH_WINDOW_SECONDS, settings.RAYPORT_API_AUTH_FAILURES
    wait = try_within(_THROTTLE_SCOPE, address, limit=limit, window_seconds=window)
    if wait:
        raise AuthenticationFailed(
            429,
            _("Too many failed sign-ins from this address. Try again in %(seconds)d seconds.") % {"seconds": wait},
            {"Retry-After": str(wait)},
        )
    try:
        user, how = _from_header(request, header)
    except AuthenticationFailed:
        # Every refusal of the credentials keeps its place in the count, a user's lockout (429)
        # too: answering a locked user's guesses uncounted would give an address unlimited tries.
        raise
    except BaseException:
        uncount(_THROTTLE_SCOPE, address)  # no refusal (the database went away…): not counted
        raise
    uncount(_THROTTLE_SCOPE, address)
    user = _acting_for(request, user, how)
    request.user = user
    request.api_credentials = how  # type: ignore[attr-defined]
    return user


def _acting_for(request: HttpRequest, user: User, how: Credentials) -> User:
    """The user named in ``X-Rayport-Act-As`` when an administrator's API key sends it (the
    cloud backend of another portal acting for its signed-in user), with that user's rights
    only; else ``user``. Any other credential naming someone is refused (403), never ignored,
    so a script cannot believe it acts as someone it does not."""
    try:
        name = act_as_name(request.headers.get(ACT_AS_HEADER, ""))
    except UnicodeDecodeError:
        raise AuthenticationFailed(403, _("There is no active user %(name)s to act for.") % {"name": "?"}) from None
    if not name or name == user.get_username():
        return user
    if how != "api_key" or role_of(user) is not Role.ADMINISTRATOR:
        raise AuthenticationFailed(403, _("Only an administrator's API key may act for another user."))
    target = get_user_model().objects.filter(username=name, is_active=True).first()
    if target is None:
        raise AuthenticationFailed(403, _("There is no active user %(name)s to act for.") % {"name": name})
    return target


def _refused() -> AuthenticationFailed:
    return AuthenticationFailed(
        401, _("The user name and password, or the API key, are not valid."), {"WWW-Authenticate": f"Basic {_REALM}"}
    )


def _from_header(request: HttpRequest, header: str) -> tuple[User, Credentials]:
    scheme, _space, value = header.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "bearer":
        user = authenticate_api_key(value)
        if user is None:
            raise _refused()
        return user, "api_key"
    if scheme != "basic":
        raise _refused()
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _refused() from None
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        text = decoded.decode("latin-1")
    username, colon, password = text.partition(":")
    if not colon or not password:
        raise _refused()
    if password.startswith(SECRET_START):
        owner = authenticate_api_key(password)
        if owner is not None:
            if username and username != owner.get_username():
                raise _refused()
            return owner, "api_key"
        # Not a key: a password that happens to start like one goes on to the password check.
    if not username:
        raise _refused()
    return _password_user(request, username, password), "basic"


class _VerifiedPasswords:
    """Name/password pairs that Django's hashers accepted, in this process's memory only,
    until they go ``TTL`` seconds unused: a script sending hundreds of calls pays one password
    hash (hundreds of milliseconds by design) when it starts, not one per call, nor one a
    minute (docs/decisions.md, "HTTP API sign-in: one hash per script, not per thread").

    The entry is a keyed hash (HMAC with ``SECRET_KEY``) of name and password, mapped to the
    user and the user's password hash at the time: changing the password or deactivating the
    user ends it on the next call, and a wrong password never matches one. So using an entry
    again answers what hashing the password again would, and each use keeps it another
    ``TTL``. Calls that miss at once with the same name and password hash it once
    (``checking``): the others wait for that hash and take its result."""

    TTL = 60.0
    SIZE = 1024
    #: Locks that calls of the same name and password share while one of them hashes it.
    STRIPES = 64

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[int, str, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._hashing = [threading.Lock() for _ in range(self.STRIPES)]

    @staticmethod
    def _digest(username: str, password: str) -> str:
        message = f"{username}\0{password}".encode()
        return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()

    def _user(self, digest: str) -> User | None:
        with self._lock:
            entry = self._entries.get(digest)
        if entry is None or entry[2] < time.monotonic():
            return None
        users = get_user_model().objects.select_related("profile")  # the role is read next: one statement
        try:
            user = users.get(pk=entry[0], is_active=True)  # half the Python of first()'s ordered slice
        except ObjectDoesNotExist:
            return None
        if not hmac.compare_digest(user.password, entry[1]):
            return None
        self._keep(digest, user)
        return user

    @contextmanager
    def checking(self, username: str, password: str) -> Iterator[User | None]:
        """The remembered user, or None: then the caller hashes the password (and
        ``remember``s a right one) inside this block, while calls with the same name and
        password wait at its start and find the result in memory."""
        digest = self._digest(username, password)
        known = self._user(digest)
        if known is not None:
            yield known
            return
        with self._hashing[int(digest[:8], 16) % self.STRIPES]:
            yield self._user(digest)  # remembered by the call this one waited for

    def remember(self, username: str, password: str, user: User) -> None:
        self._keep(self._digest(username, password), user)

    def _keep(self, digest: str, user: User) -> None:
        with self._lock:
            self._entries[digest] = (user.pk, user.password, time.monotonic() + self.TTL)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.SIZE:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


verified_passwords = _VerifiedPasswords()


def _locked_out() -> AuthenticationFailed:
    minutes = max(1, round(float(settings.AXES_COOLOFF_TIME) * 60))
    return AuthenticationFailed(
        429,
        _("Too many failed sign-ins for this user. Try again in %(minutes)d minutes.") % {"minutes": minutes},
        {"Retry-After": str(minutes * 60)},
    )


def _password_user(request: HttpRequest, username: str, password: str) -> User:
    """The active user with this name and password. The remembered passwords are asked only
    when the user is not locked out for this address (one statement): otherwise a locked-out
    address would be refused every wrong guess and let in by the right one whenever the
    user's own script keeps the password remembered, unlimited guesses at no cost."""
    if AxesProxyHandler.is_locked(request, {"username": username}):
        return _hashed(request, username, password)
    with verified_passwords.checking(username, password) as known:
        return known or _hashed(request, username, password)


def _hashed(request: HttpRequest, username: str, password: str) -> User:
    """The user Django's ``authenticate`` finds for this name and password, remembered. A
    locked-out user is refused by django-axes here before any hashing, and recorded as a
    failed sign-in as on the sign-in page."""
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        # django-axes refused: answered in JSON instead of its HTML page.
        request.axes_locked_out = False  # type: ignore[attr-defined]
        raise _locked_out()
    if user is None or not user.is_active:
        raise _refused()
    verified_passwords.remember(username, password, user)
    return user


def _nothing(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _csrf_problem(request: HttpRequest) -> HttpResponse | None:
    """A session request that changes something needs the CSRF token, as a form would."""
    refused = CsrfViewMiddleware(_nothing).process_view(request, _nothing, (), {})
    if refused is None:
        return None
    return problem(403, _("The request lacks a valid CSRF token; send credentials, or the page's token."))


def _signed_in_call(
    request: HttpRequest, view: Callable[..., HttpResponseBase], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> HttpResponseBase:
    """``view`` called for the user ``request`` signs in as (``api_view``)."""
    try:
        authenticate_request(request)
    except AuthenticationFailed as failed:
        return failed.response()
    if request.api_credentials == "session" and request.method not in SAFE_METHODS:  # type: ignore[attr-defined]
        csrf_refused = _csrf_problem(request)
        if csrf_refused is not None:
            return csrf_refused
    with calling_from(client_address(request)):
        try:
            return view(request, *args, **kwargs)
        except PostDicomError as error:
            return service_problem(error)


def api_view(
    methods: Collection[str] = ("GET", "HEAD"),
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Decorate an HTTP API view: ``methods`` only (405 with ``Allow`` otherwise), the caller
    authenticated (``authenticate_request``: 401/429 as JSON), CSRF checked for session
    callers of unsafe methods only, the call attributed to the client's address, and service
    errors answered as JSON (``service_problem``), a database or cache that is busy or gone too
    (503: ``service_away``).
    The view sees ``request.user``."""
    allowed = frozenset(m.upper() for m in methods)

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method not in allowed:
                refused = problem(405, _("This address does not accept %(method)s.") % {"method": request.method})
                refused["Allow"] = ", ".join(sorted(allowed))
                return refused
            try:
                return _signed_in_call(request, view, args, kwargs)
            except Exception as error:  # the database or the cache went away: 503, not 500
                if (away := service_away(error)) is None:
                    raise
                return service_problem(away)

        return wrapper

    return decorate
