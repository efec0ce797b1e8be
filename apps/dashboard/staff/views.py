"""Report pages inside the admin (installed by urls.install_report_urls). Read-only."""
from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone

from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from apps.core.money import micros_to_usd
from apps.dashboard.staff.forms import DateRangeForm
from apps.dashboard.staff.revenue import revenue_report
from apps.dashboard.staff.selectors import provider_health_report

REVENUE_PERMISSION = "staff.view_revenue_report"
HEALTH_PERMISSION = "catalog.view_providerhealth"
HEALTH_WINDOW = timedelta(hours=24)
CSV_HEADER = ["day", "model_id", "tasks", "charged_micros", "charged_usd", "cost_share_percent",
              "provider_cost_micros", "provider_cost_usd", "margin_micros", "margin_usd", "margin_percent"]


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def revenue_report_view(request: HttpRequest, admin_site: AdminSite) -> HttpResponse:
    _require(request, REVENUE_PERMISSION)
    form = DateRangeForm(request.GET)
    report = None
    if form.is_valid():
        report = revenue_report(first_day=form.cleaned_data["first_day"], last_day=form.cleaned_data["last_day"])
    context = {**admin_site.each_context(request), "title": "Revenue by model and day", "form": form, "report": report,
               "csv_query": request.GET.urlencode()}
    return TemplateResponse(request, "admin/staff/revenue_report.html", context)


def revenue_report_csv_view(request: HttpRequest, admin_site: AdminSite) -> HttpResponse:
    _require(request, REVENUE_PERMISSION)
    form = DateRangeForm(request.GET)
    if not form.is_valid():
        return HttpResponse("; ".join(form.non_field_errors()) or "invalid date range", status=400, content_type="text/plain")
    report = revenue_report(first_day=form.cleaned_data["first_day"], last_day=form.cleaned_data["last_day"])
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="revenue_{report.first_day}_{report.last_day}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for row in report.rows:
        writer.writerow([
            row.day.isoformat(), row.model_id, row.tasks, row.charged_micros, micros_to_usd(row.charged_micros),
            row.cost_share_percent, row.provider_cost_micros, micros_to_usd(row.provider_cost_micros),
            row.margin_micros, micros_to_usd(row.margin_micros), "" if row.margin_percent is None else row.margin_percent,
        ])
    return response


def provider_health_view(request: HttpRequest, admin_site: AdminSite) -> HttpResponse:
    _require(request, HEALTH_PERMISSION)
    since = datetime.now(timezone.utc) - HEALTH_WINDOW
    context = {**admin_site.each_context(request), "title": "Provider health (last 24 hours)", "since": since,
               "rows": provider_health_report(since=since)}
    return TemplateResponse(request, "admin/staff/provider_health.html", context)
