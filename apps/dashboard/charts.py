"""Server-rendered stacked bar charts (SVG): no chart library, no CDN, works without JS."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from apps.core.money import micros_to_display

PALETTE = ["#3b5bdb", "#12b886", "#f59f00", "#e64980", "#7950f2", "#15aabf", "#fa5252", "#82c91e", "#868e96"]
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 220, 72, 24, 8
MAX_SERIES = 8  # beyond this, smaller series fold into "other" so colours stay readable


@dataclass
class Segment:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass
class StackedChart:
    width: int
    height: int
    segments: list[Segment] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (label, colour)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)  # (y, label)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    total_micros: int = 0

    @property
    def is_empty(self) -> bool:
        return self.total_micros == 0


def stacked_by_day(*, days: list[date], amounts: dict[str, dict[date, int]]) -> StackedChart:
    """``amounts[series][day]`` in micro-USD → one bar per day, stacked by series."""
    series = _fold_small_series(amounts)
    chart = StackedChart(width=WIDTH, height=HEIGHT)
    chart.legend = [(name, PALETTE[i % len(PALETTE)]) for i, name in enumerate(series)]
    totals = [sum(series[name].get(day, 0) for name in series) for day in days]
    chart.total_micros = sum(totals)
    top = _nice_ceiling(max(totals, default=0))
    plot_height = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(days), 1)
    bar_width = max(slot * 0.7, 1)
    for index, day in enumerate(days):
        x = LEFT + index * slot + (slot - bar_width) / 2
        y = HEIGHT - BOTTOM
        for (name, colour) in chart.legend:
            amount = series[name].get(day, 0)
            if amount <= 0:
                continue
            height = plot_height * amount / top
            y -= height
            chart.segments.append(Segment(x, y, bar_width, height, colour, f"{day:%b %d} · {name}: {micros_to_display(amount)}"))
    for fraction in (0, 0.5, 1):
        chart.y_ticks.append((HEIGHT - BOTTOM - plot_height * fraction, micros_to_display(int(top * fraction)) if chart.total_micros else "$0"))
    label_every = max(1, len(days) // 7)
    chart.x_labels = [(LEFT + i * slot + slot / 2, f"{day:%b %d}") for i, day in enumerate(days) if i % label_every == 0]
    return chart


def _nice_ceiling(micros: int) -> int:
    """The axis top: 1, 2 or 5 × 10^k micro-USD at or above the tallest bar, so the tick
    labels stay short ($0.02, $0.01) instead of echoing an odd total."""
    step = 1
    while True:
        for multiple in (1, 2, 5):
            if step * multiple >= micros:
                return step * multiple
        step *= 10


def _fold_small_series(amounts: dict[str, dict[date, int]]) -> dict[str, dict[date, int]]:
    ranked = sorted(amounts, key=lambda name: -sum(amounts[name].values()))
    if len(ranked) <= MAX_SERIES:
        return {name: amounts[name] for name in ranked}
    kept = {name: amounts[name] for name in ranked[: MAX_SERIES - 1]}
    other: dict[date, int] = {}
    for name in ranked[MAX_SERIES - 1:]:
        for day, amount in amounts[name].items():
            other[day] = other.get(day, 0) + amount
    kept["other"] = other
    return kept
