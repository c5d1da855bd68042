"""Counting in a fixed window (portal.throttle): the same counts on Redis, where counting is a
Lua script of one round trip, and on any other cache, through Django's cache API."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.core.cache import cache

from portal import throttle
from portal.throttle import blocked_for, client_subject, count, try_within, uncount


@pytest.fixture(params=["redis", "django-api"])
def backend(request, settings) -> str:
    """The suite's Redis cache, or a local-memory one (the embedded default is file-based:
    what matters is that it is not Redis)."""
    if request.param == "django-api":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": f"t-{time.monotonic_ns()}",
            }
        }
    assert (throttle._redis() is not None) == (request.param == "redis")
    return request.param


def test_counts_in_one_window_and_gives_back(backend):
    assert [count("t", "10.1.1.1", window_seconds=60) for _ in range(3)] == [1, 2, 3]
    uncount("t", "10.1.1.1")
    assert count("t", "10.1.1.1", window_seconds=60) == 3
    assert count("t", "10.1.1.2", window_seconds=60) == 1  # another subject counts on its own


def test_never_less_than_nothing(backend):
    count("t", "10.1.1.1", window_seconds=60)
    for _ in range(3):
        uncount("t", "10.1.1.1")
    assert count("t", "10.1.1.1", window_seconds=60) == 1


def test_giving_back_after_the_window_leaves_nothing_behind(backend):
    uncount("t", "10.1.1.1")  # no window open: nothing to give back, and no count made
    assert cache.get(throttle._key("t", "10.1.1.1")) is None
    assert blocked_for("t", "10.1.1.1", limit=1, window_seconds=60) == 0


def test_blocked_for_the_rest_of_the_window(backend):
    opened = float(int(time.time()))  # whole seconds: Redis keeps the opening time so
    for _ in range(3):
        with mock.patch("portal.throttle.time.time", return_value=opened):
            count("t", "10.1.1.1", window_seconds=60)
    assert blocked_for("t", "10.1.1.1", limit=4, window_seconds=60) == 0
    with mock.patch("portal.throttle.time.time", return_value=opened + 20):
        assert blocked_for("t", "10.1.1.1", limit=3, window_seconds=60) == 40


def test_the_window_expires_with_its_count_on_redis():
    redis = throttle._redis()
    assert redis is not None  # the suite's cache (tests/test_database.py)
    backend_cache, client = redis
    count("t", "10.1.1.1", window_seconds=60)
    key = backend_cache.make_and_validate_key(throttle._key("t", "10.1.1.1"))
    assert 0 < client.ttl(key) <= 60
    assert 0 < client.ttl(f"{key}:opened") <= 60
    uncount("t", "10.1.1.1")
    assert 0 < client.ttl(key) <= 60  # giving back keeps the window's end


def test_a_try_within_the_limit_is_counted_until_given_back(backend):
    assert [try_within("t", "10.1.1.1", limit=2, window_seconds=60) for _ in range(2)] == [0, 0]
    wait = try_within("t", "10.1.1.1", limit=2, window_seconds=60)
    assert 1 <= wait <= 60
    uncount("t", "10.1.1.1")  # the second passed: one place free again
    assert try_within("t", "10.1.1.1", limit=2, window_seconds=60) == 0
    assert try_within("t", "10.1.1.1", limit=2, window_seconds=60) > 0  # a refused try is not counted


@pytest.mark.parametrize(
    ("address", "subject"),
    [
        ("203.0.113.25", "203.0.113.25"),
        ("2001:db8:0:1:aaaa::1", "2001:db8:0:1::/64"),  # the client's whole /64
        ("2001:db8:0:1:ffff::9", "2001:db8:0:1::/64"),
        ("::ffff:203.0.113.25", "203.0.113.25"),  # IPv4 seen through an IPv6 socket
        ("", ""),
        ("not an address", "not an address"),
    ],
)
def test_a_client_is_counted_by_its_address_or_its_ipv6_network(address, subject):
    assert client_subject(address) == subject
