"""The NUL character (U+0000): PostgreSQL refuses it in text and JSON columns, SQLite stores it.
A request holding it is refused (``holds_nul``: apps.core.json_body, the URL middleware, the form
readers); what a provider sends is stored with it replaced (``without_nul``), so that the same
input or output behaves the same on both databases and a settle never fails on it."""
from __future__ import annotations

from typing import Any

NUL = "\x00"
REPLACEMENT = "\ufffd"  # Unicode's mark for a character that could not be kept
NUL_CHARACTER = "Text in a request may not hold the NUL character (\\u0000)."


def holds_nul(value: Any) -> bool:
    """Whether a string anywhere in ``value`` (keys too) holds the NUL character."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(holds_nul(item) for item in value)
    return False


def without_nul(value: Any) -> Any:
    """``value`` with every NUL in its strings (keys too) replaced by U+FFFD; the same object
    when it holds none."""
    if not holds_nul(value):
        return value
    if isinstance(value, str):
        return value.replace(NUL, REPLACEMENT)
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return [without_nul(item) for item in value]
