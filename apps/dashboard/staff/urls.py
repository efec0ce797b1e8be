"""Adds the report pages to an AdminSite by wrapping its get_urls (called from StaffConfig.ready,
before the URLconf first reads ``admin.site.urls``). Names live in the ``admin`` namespace:
admin:staff_revenue_report, admin:staff_revenue_report_csv, admin:staff_provider_health."""
from __future__ import annotations

from django.contrib.admin import AdminSite
from django.urls import path

from apps.dashboard.staff import views


def report_urlpatterns(site: AdminSite) -> list:
    kwargs = {"admin_site": site}
    return [
        path("reports/revenue/", site.admin_view(views.revenue_report_view), kwargs, name="staff_revenue_report"),
        path("reports/revenue.csv", site.admin_view(views.revenue_report_csv_view), kwargs, name="staff_revenue_report_csv"),
        path("reports/provider-health/", site.admin_view(views.provider_health_view), kwargs, name="staff_provider_health"),
    ]


def install_report_urls(site: AdminSite) -> None:
    if getattr(site, "staff_reports_installed", False):
        return
    site_urls = site.get_urls

    def get_urls() -> list:
        return [*report_urlpatterns(site), *site_urls()]

    site.get_urls = get_urls
    site.staff_reports_installed = True
