"""Usage of the current organization: spend per day stacked by model, tables by day, model and
key, and CSV exports built by the same code as GET /v1/usage?format=csv."""
from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from apps.dashboard.decorators import organization_required
from apps.dashboard.spend import daily_chart, utc_day_range
from apps.usage.apis import usage_csv_response, usage_row_out
from apps.usage.selectors import usage_summary

DEFAULT_DAYS = 30
MAX_DAYS = 366
GROUPS = ("day", "model", "key")


class PeriodForm(forms.Form):
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        default_first, last = _default_period(cleaned.get("until"))
        first = cleaned.get("since") or default_first
        if first > last:
            raise forms.ValidationError("“From” must not be after “To”.")
        if (last - first).days >= MAX_DAYS:
            raise forms.ValidationError(f"Choose at most {MAX_DAYS} days.")
        cleaned["first_day"], cleaned["last_day"] = first, last
        return cleaned


def _period(request):
    form = PeriodForm(request.GET or None)
    if form.is_valid():
        return form, form.cleaned_data["first_day"], form.cleaned_data["last_day"]
    return form, *_default_period()


def _default_period(last_day: date | None = None) -> tuple[date, date]:
    """The last DEFAULT_DAYS days up to ``last_day`` (today when not given)."""
    last_day = last_day or timezone.now().date()
    return last_day - timedelta(days=DEFAULT_DAYS - 1), last_day


@organization_required()
def usage(request):
    form, first_day, last_day = _period(request)
    period = utc_day_range(first_day, last_day)
    summaries = {group: usage_summary(organization=request.organization, group_by=group, **period) for group in GROUPS}
    return render(request, "dashboard/usage.html", {
        "form": form, "first_day": first_day, "last_day": last_day,
        "chart": daily_chart(organization=request.organization, first_day=first_day, last_day=last_day),
        "by_day": summaries["day"], "by_model": summaries["model"], "by_key": summaries["key"],
        "total": summaries["day"]["total"],
    }, status=400 if form.errors else 200)


@organization_required()
def usage_csv(request, group_by: str):
    """The API's CSV for the dashboard's session: same rows, same columns, same numbers."""
    if group_by not in GROUPS:
        raise Http404
    _, first_day, last_day = _period(request)
    summary = usage_summary(organization=request.organization, group_by=group_by, **utc_day_range(first_day, last_day))
    return usage_csv_response([usage_row_out(row, group_by) for row in summary["rows"]], group_by, first_day, last_day)
