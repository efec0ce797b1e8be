"""Provider health: per-hour buckets per route, fed by every provider call.

Every task of a route would otherwise update the same bucket row, a hot row that serializes the
workers (measured: 84 ms for one UPDATE under load). Calls are therefore counted in memory, per
process, and flushed to the bucket at most every ``TOLLGATE_HEALTH_FLUSH_SECONDS``; a failure
flushes at once, so the admin's error figures are never late. A process that dies loses at most
that window of (advisory) counts."""
from __future__ import annotations

import atexit
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.catalog.models import ProviderHealth


@dataclass
class _Pending:
    ok: int = 0
    errors: int = 0
    latency_ms: int = 0
    last_error_code: str = ""
    flushed_at: float = 0.0


_pending: dict[tuple, _Pending] = {}
_lock = threading.Lock()


def route_health_record(*, family: str, route_pk: int | None, ok: bool, latency_ms: int, error_code: str | None = None) -> None:
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    key = (family, route_pk or 0, hour)
    now = time.monotonic()
    with _lock:
        pending = _pending.setdefault(key, _Pending(flushed_at=now))
        pending.ok += 1 if ok else 0
        pending.errors += 0 if ok else 1
        pending.latency_ms += max(int(latency_ms), 0)
        if not ok and error_code:
            pending.last_error_code = error_code[:100]
        # Due: this bucket on a failure, and every bucket whose window has passed (so an earlier
        # hour's counts, or another route's, do not wait for a call to that same bucket).
        due = [k for k, p in _pending.items()
               if (k == key and not ok) or now - p.flushed_at >= settings.TOLLGATE_HEALTH_FLUSH_SECONDS]
        flushing = [(k, _pending.pop(k)) for k in due]
    for due_key, due_pending in flushing:
        _write(due_key, due_pending)


def route_health_flush() -> None:
    """Writes every pending count (process exit, tests)."""
    with _lock:
        items = list(_pending.items())
        _pending.clear()
    for key, pending in items:
        _write(key, pending)


def route_health_discard() -> None:
    """Forgets pending counts (tests: a rolled-back test must not leak into the next)."""
    with _lock:
        _pending.clear()


def _write(key: tuple, pending: _Pending) -> None:
    family, route_pk, hour = key
    where = {"family": family, "route_pk": route_pk, "hour": hour}
    changes = {"ok_count": F("ok_count") + pending.ok, "error_count": F("error_count") + pending.errors,
               "latency_ms_total": F("latency_ms_total") + pending.latency_ms}
    if pending.last_error_code:
        changes["last_error_code"] = pending.last_error_code
    if ProviderHealth.objects.filter(**where).update(**changes):
        return
    try:
        with transaction.atomic():
            ProviderHealth.objects.create(**where, ok_count=pending.ok, error_count=pending.errors,
                                          latency_ms_total=pending.latency_ms, last_error_code=pending.last_error_code)
    except IntegrityError:  # another process created the bucket first
        ProviderHealth.objects.filter(**where).update(**changes)


def _flush_at_exit() -> None:
    try:
        route_health_flush()
    except Exception:  # noqa: BLE001 - advisory counts; the database may already be gone
        pass


atexit.register(_flush_at_exit)
