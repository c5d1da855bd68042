"""The suite must run on the real services, not on SQLite or an in-memory cache."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection


@pytest.mark.django_db
def test_runs_on_postgresql():
    assert connection.vendor == "postgresql"


def test_cache_is_redis():
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    cache.set("rayport-test-key", "ok", 5)
    assert cache.get("rayport-test-key") == "ok"
