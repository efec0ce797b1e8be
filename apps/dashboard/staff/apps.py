from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "apps.dashboard.staff"
    label = "staff"
    verbose_name = "Staff console"

    def ready(self) -> None:
        from django.contrib import admin

        from apps.dashboard.staff.urls import install_report_urls

        install_report_urls(admin.site)
