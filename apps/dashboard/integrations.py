"""The dashboard calls other areas' selectors and services by name. While an area has not
shipped a function yet, pages show a "not available yet" state instead of failing."""
from __future__ import annotations

import importlib
from typing import Any, Callable


def optional(dotted: str) -> Callable[..., Any] | None:
    """``optional("apps.billing.selectors.balance_get")`` → the function, or None if missing."""
    module_path, _, name = dotted.rpartition(".")
    try:
        module = importlib.import_module(module_path)
    except ImportError:
        return None
    return getattr(module, name, None)


def field(row: Any, name: str, default: Any = None) -> Any:
    """Reads ``name`` from a dict row or an object row (selectors may return either)."""
    if isinstance(row, dict):
        return row.get(name, default)
    return getattr(row, name, default)
