"""Selectors of the revenue report: platform-wide on purpose (a staff-only admin page)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.db.models import Sum

from apps.dashboard.staff.models import DEFAULT_COST_SHARE_PERCENT, ProviderCostEstimate
from apps.usage.models import UsageDaily


def cost_share_percent_map() -> dict[str, Decimal]:
    return dict(ProviderCostEstimate.objects.values_list("model_id", "cost_share_percent"))


def provider_cost_estimate_micros(*, charged_micros: int, cost_share_percent: Decimal) -> int:
    """ceil(charged × share / 100): the estimate errs towards a higher cost, i.e. a lower margin."""
    exact = Decimal(charged_micros) * cost_share_percent / Decimal(100)
    return int(exact.to_integral_value(rounding=ROUND_CEILING))


def margin_percent(*, charged_micros: int, margin_micros: int) -> Decimal | None:
    """Margin as a percentage of the charge, two places (half up); None when nothing was charged."""
    if charged_micros == 0:
        return None
    return (Decimal(margin_micros) * 100 / Decimal(charged_micros)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RevenueRow:
    day: date | None  # None on the per-model and grand totals
    model_id: str
    tasks: int
    charged_micros: int
    cost_share_percent: Decimal | None
    provider_cost_micros: int
    margin_micros: int
    margin_percent: Decimal | None


@dataclass(frozen=True)
class RevenueReport:
    first_day: date
    last_day: date
    rows: list[RevenueRow]  # per (day, model), newest day first
    model_totals: list[RevenueRow]  # per model over the range, by charge descending
    total: RevenueRow


def _row(*, day, model_id, tasks, charged_micros, cost_share_percent, provider_cost_micros) -> RevenueRow:
    margin = charged_micros - provider_cost_micros
    return RevenueRow(day=day, model_id=model_id, tasks=tasks, charged_micros=charged_micros,
                      cost_share_percent=cost_share_percent, provider_cost_micros=provider_cost_micros,
                      margin_micros=margin, margin_percent=margin_percent(charged_micros=charged_micros, margin_micros=margin))


def revenue_report(*, first_day: date, last_day: date) -> RevenueReport:
    """Charges per model and UTC day over [first_day, last_day] (inclusive), from the usage
    roll-up (whole days, exact integer sums; a task is one usage record). The provider cost is
    estimated per (day, model) row and the totals add those rows, so every total is the sum of
    the lines above it."""
    shares = cost_share_percent_map()
    grouped = (UsageDaily.objects.filter(day__gte=first_day, day__lte=last_day)
               .values("day", "model_id").order_by().annotate(tasks=Sum("requests"), charged=Sum("cost_micros")))
    rows = []
    for item in sorted(grouped, key=lambda r: (-r["day"].toordinal(), r["model_id"])):
        share = shares.get(item["model_id"], DEFAULT_COST_SHARE_PERCENT)
        charged = item["charged"] or 0
        rows.append(_row(day=item["day"], model_id=item["model_id"], tasks=item["tasks"] or 0, charged_micros=charged,
                         cost_share_percent=share,
                         provider_cost_micros=provider_cost_estimate_micros(charged_micros=charged, cost_share_percent=share)))
    per_model: dict[str, list[RevenueRow]] = {}
    for row in rows:
        per_model.setdefault(row.model_id, []).append(row)
    model_totals = sorted(
        (_sum_rows(model_rows, model_id=model_id, cost_share_percent=shares.get(model_id, DEFAULT_COST_SHARE_PERCENT))
         for model_id, model_rows in per_model.items()),
        key=lambda r: (-r.charged_micros, r.model_id),
    )
    return RevenueReport(first_day=first_day, last_day=last_day, rows=rows, model_totals=model_totals,
                         total=_sum_rows(rows, model_id="", cost_share_percent=None))


def _sum_rows(rows: list[RevenueRow], *, model_id: str, cost_share_percent: Decimal | None) -> RevenueRow:
    return _row(day=None, model_id=model_id, tasks=sum(r.tasks for r in rows),
                charged_micros=sum(r.charged_micros for r in rows), cost_share_percent=cost_share_percent,
                provider_cost_micros=sum(r.provider_cost_micros for r in rows))
