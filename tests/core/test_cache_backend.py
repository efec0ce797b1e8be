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


def test_incr_is_one_round_trip_and_keeps_djangos_contract():
    import pytest

    client = caches["default"]._cache
    redis_client = client.get_client(write=True)
    calls = []
    real = redis_client.execute_command

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    redis_client.execute_command = counted
    try:
        cache.set("incr-probe", 5)
        cache.incr("incr-probe")  # the first use may load the script into Redis
        calls.clear()
        assert cache.incr("incr-probe", 3) == 9
        assert len(calls) == 1  # EVALSHA (or EVAL once), not EXISTS + INCRBY
        with pytest.raises(ValueError):
            cache.incr("incr-missing")
        assert cache.get("incr-missing") is None  # a missing key is not created
    finally:
        del redis_client.execute_command
