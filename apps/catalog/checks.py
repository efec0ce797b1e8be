"""System check: unpriced models cannot be called; list them so operators notice."""
from django.core.checks import Warning, register
from django.db import DatabaseError


@register("catalog")
def unpriced_models_check(app_configs=None, **kwargs):
    from apps.catalog.selectors import unpriced_model_list

    try:
        rows = unpriced_model_list()
    except DatabaseError:  # not migrated yet
        return []
    if not rows:
        return []
    names = ", ".join(row.model_id for row in rows)
    return [Warning(f"{len(rows)} catalog models have no price and cannot be called: {names}",
                    hint="Add a price in the admin (Catalog › Models) or in the catalog YAML.", id="catalog.W001")]
