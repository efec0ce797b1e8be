"""A per-process cache of the catalog rows every request reads (model by name, schema, prices,
routes with decrypted credentials): without it a task spent about ten database round trips on
rows that change a few times a day.

Invalidation: any change (signals on the catalog models, plus explicit calls after queryset
updates) clears this process's cache at once and, after commit, bumps a generation counter in
Redis; every process compares its generation at most every ``TOLLGATE_CATALOG_CACHE_SECONDS``,
so a change reaches every process within that time. Entries also expire after
``MAX_AGE_SECONDS`` whatever happens (a change rolled back after a read, Redis unreachable).
Cached objects are shared between threads: callers treat them as read-only."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Hashable, TypeVar

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)
T = TypeVar("T")
MAX_AGE_SECONDS = 60.0
_GENERATION_KEY = "catalog:generation"

_lock = threading.Lock()
_store: dict[Hashable, tuple[float, Any]] = {}
_state = {"generation": None, "checked_at": 0.0}


def _generation_key() -> str:
    return f"{settings.CACHE_KEY_PREFIX}:{_GENERATION_KEY}"


def _check_generation(now: float) -> None:
    if now - _state["checked_at"] < settings.TOLLGATE_CATALOG_CACHE_SECONDS:
        return
    from apps.core.redis import redis_client

    try:
        generation = redis_client().get(_generation_key())
    except Exception:  # noqa: BLE001 - no Redis: serve from the database, cache nothing
        logger.warning("catalog cache: Redis unreachable, cache cleared", exc_info=True)
        generation = object()
    with _lock:
        if generation != _state["generation"]:
            _store.clear()
            _state["generation"] = generation
        _state["checked_at"] = now


def catalog_cached(key: Hashable, load: Callable[[], T]) -> T:
    """The cached value of ``key``, or ``load()`` (cached unless it raises or returns None)."""
    now = time.monotonic()
    _check_generation(now)
    hit = _store.get(key)
    if hit is not None and now - hit[0] < MAX_AGE_SECONDS:
        return hit[1]
    value = load()
    if value is not None:  # misses (an unknown model name) are not remembered
        with _lock:
            _store[key] = (now, value)
    return value


def catalog_cache_clear() -> None:
    """This process only (tests; the local half of catalog_changed)."""
    with _lock:
        _store.clear()
        _state["checked_at"] = 0.0


def _bump() -> None:
    from apps.core.redis import redis_client

    catalog_cache_clear()
    try:
        redis_client().incr(_generation_key())
    except Exception:  # noqa: BLE001 - other processes then catch up within MAX_AGE_SECONDS
        logger.warning("catalog cache: could not publish a catalog change", exc_info=True)


def catalog_changed() -> None:
    """Call after writing catalog rows (signals do it for model saves and deletes)."""
    catalog_cache_clear()
    transaction.on_commit(_bump)


def _on_change(sender, **kwargs) -> None:
    catalog_changed()


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from apps.catalog.models import AiModel, ModelAlias, PriceVersion, ProviderCredential, Route

    for model in (AiModel, ModelAlias, PriceVersion, ProviderCredential, Route):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"catalog-cache-{model.__name__}-save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"catalog-cache-{model.__name__}-delete")
