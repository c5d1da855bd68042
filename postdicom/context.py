"""Where a call comes from, for the audit log.

The contract takes the acting user explicitly; the client's IP address travels beside it in
a context variable that the portal's middleware (or a task) sets, so that every backend
method can record it without every signature growing an ``ip`` argument.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from uuid import UUID

_client_ip: ContextVar[str | None] = ContextVar("postdicom_client_ip", default=None)
_order_scope: ContextVar[frozenset[UUID] | None] = ContextVar("postdicom_order_scope", default=None)
_site_url: ContextVar[Callable[[], str] | None] = ContextVar("postdicom_site_url", default=None)


def client_ip() -> str | None:
    """The IP address of the client whose request is being served, if any."""
    return _client_ip.get()


def site_getter() -> Callable[[], str] | None:
    """What ``calling_from`` was given as ``site`` (to pass it on to a nested block)."""
    return _site_url.get()


def site_url() -> str:
    """The portal's address as the client reached it ("https://portal.example/"), for links
    that leave the portal (share e-mails); "" outside a request. Worked out only when asked,
    so a request that never needs it never reads its Host header."""
    get = _site_url.get()
    if get is None:
        return ""
    try:
        return get()
    except Exception:  # a disallowed Host: no site address, the caller falls back
        return ""


@contextmanager
def calling_from(ip: str | None, site: Callable[[], str] | None = None) -> Iterator[None]:
    """Attribute the calls made inside the block to a client at ``ip``; ``site`` gives the
    portal's address as that client reached it."""
    token = _client_ip.set(ip)
    site_token = _site_url.set(site)
    try:
        yield
    finally:
        _site_url.reset(site_token)
        _client_ip.reset(token)


def order_scope() -> frozenset[UUID] | None:
    """The orders the calls being made may reach (``only_orders``), or None: no narrowing."""
    return _order_scope.get()


@contextmanager
def only_orders(order_ids: Iterable[UUID]) -> Iterator[None]:
    """Narrow every call made inside the block to ``order_ids`` (public ids), for whatever the
    acting user could see. A view link or an outside share acts as the user who made it but
    reaches only what it covers: every order method sees the rest as not there (``NotFound``),
    and nothing inside the block may change an order. Blocks nest by intersection, so an inner
    block can never widen an outer one."""
    wanted = frozenset(order_ids)
    outer = _order_scope.get()
    token = _order_scope.set(wanted if outer is None else wanted & outer)
    try:
        yield
    finally:
        _order_scope.reset(token)
