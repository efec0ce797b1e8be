"""Reads of the usage area; each takes the organization (or the key) explicitly."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from apps.accounts.models import ApiKey, Organization
from apps.usage.models import UsageDaily, UsageRecord

GROUP_BYS = ("day", "model", "key")
GROUP_FIELDS = {"day": ("day",), "model": ("model_id",), "key": ("api_key_id",)}
_SUM_NAMES = ("cost_micros", "input_tokens", "output_tokens")
_SUMS = {name: Sum(name) for name in _SUM_NAMES}


def _records(*, organization: Organization, since: datetime, until: datetime, api_key: ApiKey | None = None):
    records = UsageRecord.objects.filter(organization=organization, created_at__gte=since, created_at__lt=until)
    return records.filter(api_key=api_key) if api_key is not None else records


def _from_records(*, organization, since, until, api_key, fields, sums) -> list[dict]:
    records = _records(organization=organization, since=since, until=until, api_key=api_key)
    if "day" in fields:
        records = records.annotate(day=TruncDate("created_at", tzinfo=timezone.utc))
    return list(records.values(*fields).order_by().annotate(requests=Count("pk"), **{n: Sum(n) for n in sums}))


def _from_rollup(*, organization, first_day, end_day, api_key, fields, sums) -> list[dict]:
    rows = UsageDaily.objects.filter(organization=organization, day__gte=first_day, day__lt=end_day)
    if api_key is not None:
        rows = rows.filter(api_key=api_key)
    return list(rows.values(*fields).order_by().annotate(requests=Sum("requests"), **{n: Sum(n) for n in sums}))


def _grouped(*, organization, since, until, api_key, fields, sums, use_rollup=True) -> list[dict]:
    """Rows grouped by ``fields`` over [since, until): whole UTC days from UsageDaily, the partial
    edge days from the raw records, merged exactly (integer sums), ordered by the group (NULL last)."""
    args = {"organization": organization, "api_key": api_key, "fields": fields, "sums": sums}
    first_day, end_day = _whole_days(since, until)
    if not use_rollup or first_day >= end_day:
        parts = [_from_records(since=since, until=until, **args)]
    else:
        parts = [_from_rollup(first_day=first_day, end_day=end_day, **args)]
        if since < day_start(first_day):
            parts.append(_from_records(since=since, until=day_start(first_day), **args))
        if day_start(end_day) < until:
            parts.append(_from_records(since=day_start(end_day), until=until, **args))
    merged: dict[tuple, dict] = {}
    for row in (row for part in parts for row in part):
        group = tuple(row[name] for name in fields)
        total = merged.setdefault(group, {**{name: row[name] for name in fields}, "requests": 0, **dict.fromkeys(sums, 0)})
        for name in ("requests", *sums):
            total[name] += row[name] or 0
    return [merged[group] for group in sorted(merged, key=lambda g: tuple((value is None, value) for value in g))]


def _whole_days(since: datetime, until: datetime) -> tuple[date, date]:
    """[first_day, end_day): the UTC days entirely inside [since, until)."""
    since_utc, until_utc = since.astimezone(timezone.utc), until.astimezone(timezone.utc)
    first_day = since_utc.date() if since_utc == day_start(since_utc.date()) else since_utc.date() + timedelta(days=1)
    return first_day, until_utc.date()


def usage_summary(*, organization: Organization, since: datetime, until: datetime, group_by: str,
                  api_key: ApiKey | None = None, use_rollup: bool = True) -> dict:
    """``{"rows": [{group, requests, cost_micros, input_tokens, output_tokens}], "total": {...}}``;
    ``since`` inclusive, ``until`` exclusive, days in UTC. ``use_rollup=False`` aggregates the raw
    records only (the reference the roll-up is checked and benchmarked against)."""
    if group_by not in GROUP_BYS:
        raise ValueError(f"group_by must be one of {GROUP_BYS}")
    rows = _grouped(organization=organization, since=since, until=until, api_key=api_key, fields=GROUP_FIELDS[group_by],
                    sums=_SUM_NAMES, use_rollup=use_rollup)
    if group_by == "key":
        keys = {k.pk: k for k in ApiKey.objects.filter(organization=organization, pk__in=[r["api_key_id"] for r in rows])}
        for row in rows:
            key = keys.get(row["api_key_id"])
            row["key_prefix"], row["key_name"] = (key.prefix, key.name) if key else ("", "")
    # Totals from the grouped rows: one scan, not two.
    total = {name: sum(row[name] for row in rows) for name in ("requests", *_SUM_NAMES)}
    return {"rows": rows, "total": total}


def usage_daily_by_model(*, organization: Organization, since: datetime, until: datetime,
                         use_rollup: bool = True) -> list[dict]:
    """For the dashboard chart: ``[{day: date, model_id, requests, cost_micros}]`` ordered by day."""
    return _grouped(organization=organization, since=since, until=until, api_key=None, fields=("day", "model_id"),
                    sums=("cost_micros",), use_rollup=use_rollup)


def key_usage_summary(*, api_key: ApiKey) -> dict:
    """Seed 004's /check: the key's lifetime usage and its organization's credit."""
    from apps.billing.selectors import balance_get

    # Lifetime = every roll-up day of the key (the roll-up includes today's records).
    totals = UsageDaily.objects.filter(api_key=api_key).aggregate(requests=Sum("requests"), **_SUMS)
    balance = balance_get(organization=api_key.organization)
    return {
        "key_prefix": api_key.prefix,
        "key_name": api_key.name,
        "requests": totals["requests"] or 0,
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
    return datetime.combine(day, time.min, tzinfo=timezone.utc)
