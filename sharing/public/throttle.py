"""Wrong share passwords per client address, counted in the cache (Redis in production).

A share locks itself after a few wrong passwords in a row (the service: ``open_share``);
this module adds the other half of the rule: one client address trying many links, or many
passwords across links, is paused for a while. ``client_wait`` is asked before the password
is even looked at (no hashing once locked), ``count_failure`` after a refusal.

The address is hashed in the cache keys (the cache holds no IP address); IPv6 addresses count
by their /64 network, which one household or device typically owns whole.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache

_COUNT = "share-failures:{}"
_LOCK = "share-lock:{}"


def _subject(ip: str | None) -> str:
    text = (ip or "").strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return hashlib.sha256(text.encode()).hexdigest()[:32]
    if address.version == 6:
        text = str(ipaddress.ip_network(f"{address}/64", strict=False))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def client_wait(ip: str | None) -> int:
    """Seconds this client must still wait before a password is tried again (0: may try)."""
    until = cache.get(_LOCK.format(_subject(ip)))
    if until is None:
        return 0
    return max(0, int(float(until) - time.time()) + 1)


def count_failure(ip: str | None) -> int:
    """Count one wrong password (or unknown link) from this client. Returns the seconds the
    client must now wait: 0 while it stays under ``RAYPORT_SHARE_FAILURES_PER_CLIENT`` in the
    window that its first failure opened, else the pause (``RAYPORT_SHARE_CLIENT_LOCK_MINUTES``)."""
    subject = _subject(ip)
    lock_seconds = settings.RAYPORT_SHARE_CLIENT_LOCK_SECONDS
    key = _COUNT.format(subject)
    cache.add(key, 0, timeout=lock_seconds)
    try:
        count = cache.incr(key)  # atomic on Redis
    except ValueError:  # expired between add and incr: a new window
        cache.set(key, 1, timeout=lock_seconds)
        count = 1
    if count < settings.RAYPORT_SHARE_FAILURES_PER_CLIENT:
        return 0
    cache.set(_LOCK.format(subject), time.time() + lock_seconds, timeout=lock_seconds)
    cache.delete(key)
    return lock_seconds


def forget(ip: str | None) -> None:
    """A right password from this client: its count starts again (a lock in force stays)."""
    cache.delete(_COUNT.format(_subject(ip)))
