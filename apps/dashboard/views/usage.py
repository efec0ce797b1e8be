"""Usage of the current organization: spend per day stacked by model, tables by day, model and
key, and CSV exports built by the same code as GET /v1/usage?format=csv."""
from __future__ import annotations

from datetime import timedelta

from django import forms
from django.shortcuts import render
from django.utils import timezone

from apps.dashboard.decorators import organization_required
from apps.dashboard.integrations import optional
from apps.dashboard.spend import daily_chart, utc_day_start

DEFAULT_DAYS = 30
MAX_DAYS = 366
GROUPS = ("day", "model", "key")


class PeriodForm(forms.Form):
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        last = cleaned.get("until") or timezone.now().date()
        first = cleaned.get("since") or last - timedelta(days=DEFAULT_DAYS - 1)
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
    last = timezone.now().date()
    return form, last - timedelta(days=DEFAULT_DAYS - 1), last


@organization_required()
def usage(request):
    usage_summary = optional("apps.usage.selectors.usage_summary")
    if usage_summary is None:
        return render(request, "dashboard/unavailable.html", {"what": "Usage reporting"})
    form, first_day, last_day = _period(request)
    since, until = utc_day_start(first_day), utc_day_start(last_day + timedelta(days=1))
    summaries = {group: usage_summary(organization=request.organization, since=since, until=until, group_by=group) for group in GROUPS}
    return render(request, "dashboard/usage.html", {
        "form": form, "first_day": first_day, "last_day": last_day,
        "chart": daily_chart(organization=request.organization, first_day=first_day, last_day=last_day),
        "by_day": summaries["day"], "by_model": summaries["model"], "by_key": summaries["key"],
        "total": summaries["day"]["total"],
    }, status=400 if form.errors else 200)


@organization_required()
def usage_csv(request, group_by: str):
    """The API's CSV for the dashboard's session: same rows, same columns, same numbers."""
    usage_summary = optional("apps.usage.selectors.usage_summary")
    row_out = optional("apps.usage.apis.usage_row_out") or optional("apps.usage.apis._row_out")
    csv_response = optional("apps.usage.apis.usage_csv_response") or optional("apps.usage.apis._csv_response")
    if group_by not in GROUPS or None in (usage_summary, row_out, csv_response):
        return render(request, "dashboard/unavailable.html", {"what": "CSV export"}, status=404)
    _, first_day, last_day = _period(request)
    summary = usage_summary(organization=request.organization, since=utc_day_start(first_day),
                            until=utc_day_start(last_day + timedelta(days=1)), group_by=group_by)
    return csv_response([row_out(row, group_by) for row in summary["rows"]], group_by, first_day, last_day)
