"""Spend figures shared by the overview and the usage page, read through the usage selectors."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from apps.dashboard.charts import StackedChart, stacked_by_day
from apps.usage.selectors import day_start, usage_daily_by_model, usage_summary


def utc_day_range(first_day: date, last_day: date) -> dict[str, datetime]:
    """``since``/``until`` covering whole UTC days first_day..last_day (usage days are UTC days,
    as in GET /v1/usage)."""
    return {"since": day_start(first_day), "until": day_start(last_day + timedelta(days=1))}


def spend_between(*, organization, first_day: date, last_day: date) -> int:
    summary = usage_summary(organization=organization, group_by="day", **utc_day_range(first_day, last_day))
    return summary["total"]["cost_micros"]


def daily_chart(*, organization, first_day: date, last_day: date) -> StackedChart:
    rows = usage_daily_by_model(organization=organization, **utc_day_range(first_day, last_day))
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    amounts: dict[str, dict[date, int]] = {}
    for row in rows:  # one row per (day, model_id)
        amounts.setdefault(row["model_id"], {})[row["day"]] = row["cost_micros"]
    return stacked_by_day(days=days, amounts=amounts)
