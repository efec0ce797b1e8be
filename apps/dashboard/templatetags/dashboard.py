"""Template helpers of the dashboard: money, JSON and small formatting filters."""
import json

from django import template

from apps.core.money import micros_to_display

register = template.Library()


@register.filter
def money(micros) -> str:
    """Integer micro-USD → '$12.50'; blank for None."""
    if micros is None or micros == "":
        return "—"
    return micros_to_display(int(micros))


@register.filter
def pretty_json(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


@register.filter
def percent_of(part, whole) -> int:
    """0–100 for progress bars; 0 when the whole is empty."""
    try:
        return max(0, min(100, round(100 * int(part) / int(whole))))
    except (TypeError, ValueError, ZeroDivisionError):
        return 0


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (pagination links keep filters)."""
    params = context["request"].GET.copy()
    for name, value in changes.items():
        if value in (None, ""):
            params.pop(name, None)
        else:
            params[name] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
