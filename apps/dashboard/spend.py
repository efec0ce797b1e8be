"""Spend figures shared by the overview and the usage page, read through the usage selectors."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone as dt_timezone

from apps.dashboard.charts import StackedChart, stacked_by_day
from apps.dashboard.integrations import optional


def utc_day_start(day: date) -> datetime:
    """Usage days are UTC days, as in GET /v1/usage."""
    return datetime.combine(day, time.min, tzinfo=dt_timezone.utc)


def spend_between(*, organization, first_day: date, last_day: date) -> int | None:
    usage_summary = optional("apps.usage.selectors.usage_summary")
    if usage_summary is None:
        return None
    summary = usage_summary(organization=organization, since=utc_day_start(first_day),
                            until=utc_day_start(last_day + timedelta(days=1)), group_by="day")
    return summary["total"]["cost_micros"]


def daily_chart(*, organization, first_day: date, last_day: date) -> StackedChart | None:
    usage_daily_by_model = optional("apps.usage.selectors.usage_daily_by_model")
    if usage_daily_by_model is None:
        return None
    rows = usage_daily_by_model(organization=organization, since=utc_day_start(first_day),
                                until=utc_day_start(last_day + timedelta(days=1)))
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    amounts: dict[str, dict[date, int]] = {}
    for row in rows:
        day = row["day"].date() if isinstance(row["day"], datetime) else row["day"]
        amounts.setdefault(row["model_id"], {})[day] = amounts.get(row["model_id"], {}).get(day, 0) + row["cost_micros"]
    return stacked_by_day(days=days, amounts=amounts)
