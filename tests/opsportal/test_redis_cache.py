"""opsportal.cache: the Redis cache keeps one client per connection pool (real Redis)."""

import os
import subprocess
import sys
import threading
import uuid

import pytest

from opsportal.cache import OpsPortalRedisCache
from tests.conftest import require_external
from tests.qcluster import redis_reachable, redis_test_url

REDIS_URL = redis_test_url(6)


@pytest.fixture
def cache():
    if not redis_reachable(REDIS_URL):
        require_external(f"Redis is not reachable at {REDIS_URL}")
    backend = OpsPortalRedisCache(REDIS_URL, {"KEY_PREFIX": f"cache-test-{uuid.uuid4().hex[:8]}"})
    yield backend
    backend.delete_many(["a", "b"])


def test_every_operation_uses_the_same_client_and_the_cache_works(cache):
    cache.set("a", {"x": 1}, 30)
    assert cache.get("a") == {"x": 1}
    assert cache.add("a", 2) is False and cache.add("b", 2) is True
    assert cache.incr("b") == 3
    assert cache.get_many(["a", "b", "missing"]) == {"a": {"x": 1}, "b": 3}
    assert cache.delete("a") is True and cache.get("a", "gone") == "gone"
    read, write = cache._cache.get_client(), cache._cache.get_client(write=True)
    assert read is write  # one server: reads and writes share its pool and its one client (Django: new each time)


def test_threads_sharing_the_client_each_see_their_own_values(cache):
    errors = []

    def worker(n):
        try:
            for i in range(50):
                cache.set(f"n{n}", i, 30)
                assert cache.get(f"n{n}") == i
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    cache.delete_many([f"n{n}" for n in range(8)])


def test_the_settings_use_it_when_redis_is_configured():
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.CACHES['default']['BACKEND'])")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "opsportal.settings", "OPSPORTAL_REDIS_URL": REDIS_URL}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "opsportal.cache.OpsPortalRedisCache", result.stderr[-2000:]
