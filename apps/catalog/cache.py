"""A per-process cache of the catalog rows every request reads (model by name, schema, prices,
routes with decrypted credentials): without it a task spent about ten database round trips on
rows that change a few times a day.

Invalidation: any change (signals on the catalog models, plus explicit calls after queryset
updates) clears this process's cache at once and, after commit, bumps a generation counter in
Redis; every process compares its generation at most every ``TOLLGATE_CATALOG_CACHE_SECONDS``,
so a change reaches every process within that time. Entries also expire after
``MAX_AGE_SECONDS`` whatever happens (a change rolled back after a read, Redis unreachable).
Cached objects are shared between threads: callers treat them as read-only.

One load per key at a time: a worker runs a hundred threads, and when an entry expired every
busy thread used to load it at once (the model-name index reads every model row: measured, 4 %
of a worker's CPU under load went to such reloads). Now an expired entry is served to the others
while one thread reloads it, and a missing one is awaited (a change's reload, the first read)."""
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

LOAD_WAIT_SECONDS = 10.0  # a thread waiting for another's load gives up and loads itself after this
_lock = threading.Lock()
_store: dict[Hashable, tuple[float, Any]] = {}
_loading: dict[Hashable, threading.Event] = {}  # keys being loaded, set when done
# "epoch" counts clears: a load that began before a clear must not store what it read.
_state = {"generation": None, "checked_at": 0.0, "epoch": 0}


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
            _clear()
            _state["generation"] = generation
        _state["checked_at"] = now


def catalog_cached(key: Hashable, load: Callable[[], T]) -> T:
    """The cached value of ``key``, or ``load()`` (cached unless it raises or returns None)."""
    now = time.monotonic()
    _check_generation(now)
    hit = _store.get(key)
    if hit is not None and now - hit[0] < MAX_AGE_SECONDS:
        return hit[1]
    with _lock:
        loading = _loading.get(key)
        leader = loading is None
        if leader:
            loading = _loading[key] = threading.Event()
            epoch = _state["epoch"]
    if leader:
        try:
            value = load()
            if value is not None:  # misses (an unknown model name) are not remembered
                with _lock:
                    if _state["epoch"] == epoch:  # no change cleared the cache while it loaded
                        _store[key] = (now, value)
            return value
        finally:
            with _lock:
                del _loading[key]
            loading.set()
    # Another thread is loading it: an expired value is still good meanwhile; a missing one is awaited.
    if hit is not None:
        return hit[1]
    if loading.wait(LOAD_WAIT_SECONDS):
        fresh = _store.get(key)
        if fresh is not None:
            return fresh[1]
    return load()


def _clear() -> None:
    """Under ``_lock``."""
    _store.clear()
    _state["epoch"] += 1


def catalog_cache_clear() -> None:
    """This process only (tests; the local half of catalog_changed)."""
    with _lock:
        _clear()
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
