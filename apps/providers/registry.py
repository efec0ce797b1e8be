"""Registry of provider adapters, keyed by the family name catalog routes use."""
from __future__ import annotations

from typing import Callable, TypeVar

from apps.providers.base import Adapter

_ADAPTERS: dict[str, Adapter] = {}
T = TypeVar("T")


def register(cls: type[T]) -> type[T]:
    """Class decorator: instantiate the adapter once and register it under ``cls.family``."""
    instance = cls()
    _ADAPTERS[instance.family] = instance  # type: ignore[attr-defined]
    return cls


def get_adapter(family: str) -> Adapter:
    _load_all()
    try:
        return _ADAPTERS[family]
    except KeyError:
        raise LookupError(f"no provider adapter for family {family!r}") from None


def families() -> list[str]:
    _load_all()
    return sorted(_ADAPTERS)


def _load_all() -> None:
    # Importing the package's modules runs their @register decorators.
    import apps.providers.adapters  # noqa: F401
