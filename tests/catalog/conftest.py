from __future__ import annotations

import pytest

from apps.catalog.services.catalog_io import SHIPPED_CATALOG, catalog_import, catalog_load_file

_SHIPPED: dict | None = None


def shipped_data() -> dict:
    global _SHIPPED
    if _SHIPPED is None:
        _SHIPPED = catalog_load_file(SHIPPED_CATALOG)
    return _SHIPPED


@pytest.fixture
def catalog(db):
    """The shipped catalog, imported into this test's database."""
    return catalog_import(data=shipped_data())


def import_models(*model_ids: str):
    """Import only these shipped models (fast): tests that need a few models use this."""
    data = shipped_data()
    wanted = [entry for entry in data["models"] if entry["id"] in model_ids]
    assert len(wanted) == len(model_ids), set(model_ids) - {e["id"] for e in wanted}
    catalog_import(data={"schemas": data.get("schemas"), "models": wanted})
