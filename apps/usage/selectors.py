"""Reads of the usage area; each takes the organization (or the key) explicitly."""
from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from apps.accounts.models import ApiKey, Organization
from apps.usage.models import UsageRecord

GROUP_BYS = ("day", "model", "key")
_SUMS = {"cost_micros": Sum("cost_micros"), "input_tokens": Sum("input_tokens"), "output_tokens": Sum("output_tokens")}


def _records(*, organization: Organization, since: datetime, until: datetime, api_key: ApiKey | None = None):
    records = UsageRecord.objects.filter(organization=organization, created_at__gte=since, created_at__lt=until)
    return records.filter(api_key=api_key) if api_key is not None else records


def _clean(row: dict) -> dict:
    return {**row, **{name: row[name] or 0 for name in _SUMS}}


def usage_summary(*, organization: Organization, since: datetime, until: datetime, group_by: str,
                  api_key: ApiKey | None = None) -> dict:
    """``{"rows": [{group, requests, cost_micros, input_tokens, output_tokens}], "total": {...}}``;
    ``since`` inclusive, ``until`` exclusive, days in UTC."""
    if group_by not in GROUP_BYS:
        raise ValueError(f"group_by must be one of {GROUP_BYS}")
    records = _records(organization=organization, since=since, until=until, api_key=api_key)
    if group_by == "day":
        grouped = records.annotate(day=TruncDate("created_at")).values("day").order_by("day")
    elif group_by == "model":
        grouped = records.values("model_id").order_by("model_id")
    else:
        grouped = records.values("api_key_id").order_by("api_key_id")
    rows = [_clean(row) for row in grouped.annotate(requests=Count("pk"), **_SUMS)]
    if group_by == "key":
        keys = {k.pk: k for k in ApiKey.objects.filter(organization=organization, pk__in=[r["api_key_id"] for r in rows])}
        for row in rows:
            key = keys.get(row["api_key_id"])
            row["key_prefix"], row["key_name"] = (key.prefix, key.name) if key else ("", "")
    # Totals from the grouped rows: one scan, not two.
    total = {name: sum(row[name] for row in rows) for name in ("requests", *_SUMS)}
    return {"rows": rows, "total": total}


def usage_daily_by_model(*, organization: Organization, since: datetime, until: datetime) -> list[dict]:
    """For the dashboard chart: ``[{day: date, model_id, requests, cost_micros}]`` ordered by day."""
    rows = (_records(organization=organization, since=since, until=until)
            .annotate(day=TruncDate("created_at")).values("day", "model_id").order_by("day", "model_id")
            .annotate(requests=Count("pk"), cost_micros=Sum("cost_micros")))
    return [{**row, "cost_micros": row["cost_micros"] or 0} for row in rows]


def key_usage_summary(*, api_key: ApiKey) -> dict:
    """Seed 004's /check: the key's lifetime usage and its organization's credit."""
    from apps.billing.selectors import balance_get

    totals = UsageRecord.objects.filter(api_key=api_key).aggregate(requests=Count("pk"), **_SUMS)
    balance = balance_get(organization=api_key.organization)
    return {
        "key_prefix": api_key.prefix,
        "key_name": api_key.name,
        "requests": totals["requests"],
        "cost_micros": totals["cost_micros"] or 0,
        "input_tokens": totals["input_tokens"] or 0,
        "output_tokens": totals["output_tokens"] or 0,
        "spend_cap_micros": api_key.spend_cap_micros,
        "balance_micros": balance.balance_micros,
        "held_micros": balance.held_micros,
        "available_micros": balance.available_micros,
    }


def finished_task_ids(task_ids: list[str]) -> set[str]:
    """Default TOLLGATE_FINISHED_TASKS_CHECK: a task with a usage record has finished."""
    return set(UsageRecord.objects.filter(task_id__in=task_ids).values_list("task_id", flat=True))


def day_start(day: date) -> datetime:
    from datetime import time, timezone

    return datetime.combine(day, time.min, tzinfo=timezone.utc)
