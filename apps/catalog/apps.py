from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "apps.catalog"
    label = "catalog"

    def ready(self) -> None:
        from apps.catalog import checks  # noqa: F401  (registers the system check)
        from apps.catalog.cache import connect_signals

        connect_signals()
