"""Where a call comes from, for the audit log.

The contract takes the acting user explicitly; the client's IP address travels beside it in
a context variable that the portal's middleware (or a task) sets, so that every backend
method can record it without every signature growing an ``ip`` argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from uuid import UUID

_client_ip: ContextVar[str | None] = ContextVar("postdicom_client_ip", default=None)
_order_scope: ContextVar[frozenset[UUID] | None] = ContextVar("postdicom_order_scope", default=None)


def client_ip() -> str | None:
    """The IP address of the client whose request is being served, if any."""
    return _client_ip.get()


@contextmanager
def calling_from(ip: str | None) -> Iterator[None]:
    """Attribute the calls made inside the block to a client at ``ip``."""
    token = _client_ip.set(ip)
    try:
        yield
    finally:
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
