"""Counting requests in a fixed window in Django's cache (Redis in production), to limit
what an anonymous caller may be asked to do: password reset e-mails, HTTP API sign-ins that fail."""

from __future__ import annotations

import hashlib
import math
import time

from django.core.cache import cache


def _key(scope: str, subject: str) -> str:
    """The subject is hashed: the cache holds no e-mail or IP address."""
    digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]
    return f"throttle:{scope}:{digest}"


def count(scope: str, subject: str, *, window_seconds: int) -> int:
    """Count one more event of ``subject`` in ``scope``; the number counted in the window that
    the first of them opened (this one included)."""
    key = _key(scope, subject)
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
