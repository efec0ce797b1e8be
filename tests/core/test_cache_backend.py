"""One Redis connection pool per process, whatever thread or async context asks for the cache."""
import threading

from django.core.cache import cache, caches


def test_cache_backends_of_other_threads_share_one_client():
    cache.set("shared-pool-probe", 41)
    seen = {}

    def other_thread():
        backend = caches["default"]  # a new backend object: Django's caches are per thread
        seen["backend"] = backend
        seen["client"] = backend._cache
        seen["value"] = backend.get("shared-pool-probe")

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen["backend"] is not caches["default"]
    assert seen["client"] is caches["default"]._cache
    assert seen["value"] == 41


def test_one_redis_object_per_pool_across_operations():
    client = caches["default"]._cache
    first = client.get_client(write=True)
    assert client.get_client(write=True) is first
    assert client.get_client(write=False) is first  # one server: reads use the same pool
    cache.set("shared-client-probe", 7)
    assert cache.incr("shared-client-probe") == 8
