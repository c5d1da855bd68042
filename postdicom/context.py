"""Where a call comes from, for the audit log.

The contract takes the acting user explicitly; the client's IP address travels beside it in
a context variable that the portal's middleware (or a task) sets, so that every backend
method can record it without every signature growing an ``ip`` argument.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_client_ip: ContextVar[str | None] = ContextVar("postdicom_client_ip", default=None)


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
