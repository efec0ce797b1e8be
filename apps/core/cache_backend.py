"""Django's Redis cache with one connection pool per process.

Django builds a cache backend object per thread and async context, each with its own
connection pool. Under ASGI every request runs in a fresh context, so every request that used
the cache (the API-key lookup, django-ratelimit's counters, the plan) opened a new Redis
connection (TCP connect plus redis-py's handshake): measured at about 5 % of a web process's
CPU under load. The client, and so its pools, is shared here; redis-py pools are thread-safe.

Django's client also builds a new ``redis.Redis`` object per operation (redis-py 8 fills a
table of response callbacks for each): measured at ~3 % of a web process's CPU. One object per
pool is kept instead; ``redis.Redis`` is thread-safe.

``incr`` is one round trip (a Lua script) instead of Django's EXISTS then INCRBY: django-
ratelimit increments two counters per API request."""
from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple, RedisCacheClient] = {}
_lock = threading.Lock()


# INCRBY only an existing key (Django's contract: a missing key raises ValueError).
_INCR_EXISTING = "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end"


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._redis_by_pool: dict[int, object] = {}
        self._incr_scripts: dict[int, object] = {}

    def incr(self, key, delta):
        client = self.get_client(key, write=True)
        script = self._incr_scripts.get(id(client))
        if script is None:
            script = self._incr_scripts[id(client)] = client.register_script(_INCR_EXISTING)
        value = script(keys=[key], args=[delta])
        if value is None:
            raise ValueError("Key '%s' not found." % key)
        return value

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._redis_by_pool.get(id(pool))
        if client is None:
            client = self._redis_by_pool[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

    @cached_property
    def _cache(self) -> RedisCacheClient:
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
            return client
