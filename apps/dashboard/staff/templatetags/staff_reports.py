from decimal import Decimal

from django import template

from apps.core.money import micros_to_display

register = template.Library()


@register.filter
def usd(micros: int) -> str:
    return micros_to_display(micros)


@register.filter
def percent(value: Decimal | None) -> str:
    return "–" if value is None else f"{value} %"


@register.filter
def ratio_percent(ratio: float) -> str:
    """0.0123 → '1.23 %' (display of a rate, not money)."""
    return f"{ratio * 100:.2f} %"
