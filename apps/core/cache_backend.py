"""Django's Redis cache with one connection pool per process.

Django builds a cache backend object per thread and async context, each with its own
connection pool. Under ASGI every request runs in a fresh context, so every request that used
the cache (the API-key lookup, django-ratelimit's counters, the plan) opened a new Redis
connection (TCP connect plus redis-py's handshake): measured at about 5 % of a web process's
CPU under load. The client, and so its pools, is shared here; redis-py pools are thread-safe."""
from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple, RedisCacheClient] = {}
_lock = threading.Lock()


class SharedPoolRedisCache(RedisCache):
    @cached_property
    def _cache(self) -> RedisCacheClient:
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
            return client
