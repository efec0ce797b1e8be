"""One Redis client per process for pub/sub, streams and counters (the cache has its own)."""
from functools import lru_cache

import redis
import redis.asyncio
from django.conf import settings


def redis_pool(url: str) -> redis.BlockingConnectionPool:
    """A pool that waits for a free connection instead of failing: redis-py 8 caps a plain pool
    at 100 connections and raises past it, which 256 concurrent requests reached (measured)."""
    return redis.BlockingConnectionPool.from_url(url, max_connections=settings.TOLLGATE_REDIS_MAX_CONNECTIONS,
                                                 timeout=settings.TOLLGATE_REDIS_POOL_TIMEOUT_SECONDS)


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    return redis.Redis(connection_pool=redis_pool(settings.REDIS_URL), health_check_interval=30)


def async_redis_client() -> "redis.asyncio.Redis":
    """A new asyncio client (bind one per event loop; callers close it)."""
    return redis.asyncio.Redis.from_url(settings.REDIS_URL)
