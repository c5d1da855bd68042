"""The Redis cache backend (portal.cache): Django's, sharing one Redis client per pool."""

from __future__ import annotations

import threading

from django.core.cache import cache, caches

from portal.cache import RedisCache


def test_the_suite_runs_on_it_and_it_caches():
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    cache.set("rayport-cache-test", {"a": 1}, 5)
    assert cache.get("rayport-cache-test") == {"a": 1}
    assert cache.add("rayport-cache-count", 1, 5)
    assert cache.incr("rayport-cache-count") == 2
    cache.delete_many(["rayport-cache-test", "rayport-cache-count"])
    assert cache.get("rayport-cache-test") is None


def test_one_client_per_pool_shared_by_threads():
    client = caches["default"]._cache  # type: ignore[attr-defined]  # Django's client, not in the stubs
    seen: list[object] = []

    def use() -> None:
        cache.get("rayport-cache-test")
        seen.append(client.get_client(write=True))

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(other is client.get_client(write=True) for other in seen)
    assert client.get_client() is client.get_client(write=True)  # one server: reads and writes share its pool
