"""One Redis client per process for pub/sub, streams and counters (the cache has its own)."""
from functools import lru_cache

import redis
import redis.asyncio
from django.conf import settings


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, health_check_interval=30)


def async_redis_client() -> "redis.asyncio.Redis":
    """A new asyncio client (bind one per event loop; callers close it)."""
    return redis.asyncio.Redis.from_url(settings.REDIS_URL)
