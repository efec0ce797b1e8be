"""Catalog writes and computations (validation, quotes, charges)."""
from apps.catalog.services.catalog_io import catalog_export, catalog_import
from apps.catalog.services.credentials import provider_credential_set
from apps.catalog.services.health import route_health_record
from apps.catalog.services.params import params_validate
from apps.catalog.services.prices import price_version_create
from apps.catalog.services.pricing import price_charge, price_quote

__all__ = [
    "catalog_export", "catalog_import", "params_validate", "price_charge", "price_quote", "price_version_create",
    "provider_credential_set", "route_health_record",
]
