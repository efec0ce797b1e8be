"""Python's cyclic garbage collector, set for a long-running server process.

Two things, both once a process has loaded everything it needs (web: ``apps.core.asgi``;
workers: ``dramatiq_middleware.GcSettleMiddleware``):

- ``gc.freeze()``: the objects startup made (modules, classes, Django's registries; ~120,000)
  are never garbage, yet each full collection walked all of them: 60-130 ms per collection in a
  web process under load, with every request of that process stopped meanwhile.
- a larger first-generation threshold (``TOLLGATE_GC_THRESHOLD``, default "10000,10,10": 10,000
  instead of Python's 700): a request or task in flight lives for seconds, and with 700 its objects were
  walked by dozens of young collections before reaching the old generation.

Measured in docs/benchmarks.md, round 12."""
from __future__ import annotations

import gc

from django.conf import settings


def gc_threshold() -> tuple[int, ...]:
    """``TOLLGATE_GC_THRESHOLD``: "gen0,gen1,gen2" (as ``gc.set_threshold``); "off" keeps Python's."""
    raw = str(settings.TOLLGATE_GC_THRESHOLD).strip()
    if raw.lower() == "off":
        return gc.get_threshold()
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError:
        values = ()
    if not 1 <= len(values) <= 3 or any(value < 0 for value in values):
        raise ValueError(f"TOLLGATE_GC_THRESHOLD must be up to three non-negative integers, got {raw!r}")
    return values


def gc_settle_after_startup() -> None:
    """Collect what startup left, freeze the survivors, apply the threshold."""
    threshold = gc_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*threshold)
