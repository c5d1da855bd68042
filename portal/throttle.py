"""Counting requests in a fixed window in Django's cache (Redis in production), to limit
what an anonymous caller may be asked to do: password reset e-mails, HTTP API sign-ins that fail.

On Redis, ``count`` and ``uncount`` are one round trip each, a Lua script (atomic as a whole):
through Django's cache API they took five between them (``incr`` and ``decr`` first ask
whether the key exists), and the API counts every call it signs in (docs/decisions.md,
"HTTP API sign-in: one hash per script, not per thread"). The values are the same either way
(a whole number under Django's key), so ``blocked_for`` reads both."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

#: KEYS: the count, the window's opening time; ARGV: the window's seconds, now. Opens the
#: window when none is open, then counts; the new count.
_COUNT = """
if redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX') then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[1])
end
return redis.call('INCR', KEYS[1])
"""
#: KEYS: the count. One less, never below nothing; nothing once the window is over.
_UNCOUNT = """
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('DECR', KEYS[1]) < 0 then
  redis.call('INCR', KEYS[1])
end
"""


def _redis() -> tuple[RedisCache, Any] | None:
    """The default cache and its Redis client when it is Django's Redis backend, else None."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend, backend._cache.get_client(write=True)  # type: ignore[attr-defined]  # Django's client, not in the stubs


def _key(scope: str, subject: str) -> str:
    """The subject is hashed: the cache holds no e-mail or IP address."""
    digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]
    return f"throttle:{scope}:{digest}"


def count(scope: str, subject: str, *, window_seconds: int) -> int:
    """Count one more event of ``subject`` in ``scope``; the number counted in the window that
    the first of them opened (this one included)."""
    key = _key(scope, subject)
    if (redis := _redis()) is not None:
        backend, client = redis
        keys = [backend.make_and_validate_key(key), backend.make_and_validate_key(f"{key}:opened")]
        return int(client.eval(_COUNT, 2, *keys, window_seconds, int(time.time())))
    if cache.add(key, 0, timeout=window_seconds):
        cache.set(f"{key}:opened", time.time(), timeout=window_seconds)
    try:
        return cache.incr(key)  # atomic on Redis, which also keeps the window's expiry
    except ValueError:  # expired between add and incr: a new window
        cache.set(key, 1, timeout=window_seconds)
        cache.set(f"{key}:opened", time.time(), timeout=window_seconds)
        return 1


def uncount(scope: str, subject: str) -> None:
    """Give back one event ``count`` counted (a try that turned out fine); nothing once the
    window it was counted in is over."""
    key = _key(scope, subject)
    if (redis := _redis()) is not None:
        backend, client = redis
        client.eval(_UNCOUNT, 1, backend.make_and_validate_key(key))
        return
    try:
        # Below zero when the window ended between this event's count and now and the next
        # window's first event was given back before it: never count less than nothing.
        if cache.decr(key) < 0:
            cache.incr(key)
    except ValueError:  # the window closed meanwhile: nothing left to give back
        pass


def within_limit(scope: str, subject: str, *, limit: int, window_seconds: int) -> bool:
    """Count one more request of ``subject`` (an address, a client IP) in ``scope``; False
    once more than ``limit`` were counted in the window that the first of them opened."""
    return count(scope, subject, window_seconds=window_seconds) <= limit


def try_within(scope: str, subject: str, *, limit: int, window_seconds: int) -> int:
    """Count a try of ``subject`` that is about to be checked: 0 when it may be checked (give
    it back with ``uncount`` once it passes, so only failures stay counted), else the seconds
    until it may try again (at least 1; this try is not counted). Each try is counted before
    it is checked: tries sent at once each hold a place while they are checked, so no more
    than ``limit`` are ever checked, however many arrive together."""
    if count(scope, subject, window_seconds=window_seconds) <= limit:
        return 0
    uncount(scope, subject)  # refused unchecked: only what was checked counts
    return max(1, blocked_for(scope, subject, limit=limit, window_seconds=window_seconds))


def client_subject(address: str) -> str:
    """What a client's failures are counted against: its address, or for IPv6 its /64 network
    (one client is usually given a whole /64 and may use any address in it, so counting per
    address would let it try again from a fresh one without end)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def blocked_for(scope: str, subject: str, *, limit: int, window_seconds: int) -> int:
    """Seconds until ``subject`` may try again when ``limit`` events are already counted in
    the current window (at least 1), else 0. Counts nothing: a caller asks this first and
    ``count``\\s only what failed."""
    key = _key(scope, subject)
    counted = cache.get(key)
    if counted is None or int(counted) < limit:
        return 0
    opened = cache.get(f"{key}:opened")
    left = window_seconds if opened is None else float(opened) + window_seconds - time.time()
    return max(1, math.ceil(left))
