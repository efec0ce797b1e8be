from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from django.contrib import admin

        admin.site.site_header = "Tollgate staff console"
        admin.site.site_title = "Tollgate admin"
        admin.site.index_title = "Platform operations"
