"""Counting requests in a fixed window in Django's cache (Redis in production), to limit
what an anonymous page may be asked to do: sending password reset e-mails."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def within_limit(scope: str, subject: str, *, limit: int, window_seconds: int) -> bool:
    """Count one more request of ``subject`` (an address, a client IP) in ``scope``; False
    once more than ``limit`` were counted in the window that the first of them opened.
    The subject is hashed: the cache holds no e-mail address."""
    digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]
    key = f"throttle:{scope}:{digest}"
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)  # atomic on Redis, which also keeps the window's expiry
    except ValueError:  # expired between add and incr: a new window
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count <= limit
