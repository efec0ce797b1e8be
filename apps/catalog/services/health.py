"""Provider health: one upsert into a per-hour bucket per call (cheap enough for every task)."""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.catalog.models import ProviderHealth


def route_health_record(*, family: str, route_pk: int | None, ok: bool, latency_ms: int, error_code: str | None = None) -> None:
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    key = {"family": family, "route_pk": route_pk or 0, "hour": hour}
    changes = {"ok_count": F("ok_count") + (1 if ok else 0), "error_count": F("error_count") + (0 if ok else 1),
               "latency_ms_total": F("latency_ms_total") + max(int(latency_ms), 0)}
    if not ok and error_code:
        changes["last_error_code"] = error_code[:100]
    if ProviderHealth.objects.filter(**key).update(**changes):
        return
    try:
        with transaction.atomic():
            ProviderHealth.objects.create(**key, ok_count=1 if ok else 0, error_count=0 if ok else 1,
                                          latency_ms_total=max(int(latency_ms), 0),
                                          last_error_code=(error_code or "")[:100] if not ok else "")
    except IntegrityError:  # another process created the bucket first
        ProviderHealth.objects.filter(**key).update(**changes)
