"""Text a request may carry: every way a body is wrong is the client's error, never a 500.

``json.loads`` alone lets four through: nesting deeper than Python's recursion limit raises
``RecursionError``; ``NaN`` and ``Infinity`` are read as floats that no JSON column or provider
takes; a lone UTF-16 surrogate escape (``"\\ud800"``) becomes a string that cannot be written
as UTF-8, so the database, Redis or a hash fails on it later; and the NUL character
(``"\\u0000"``), which PostgreSQL refuses in text and JSON columns (SQLite stores it, so the
rule is the same on both: apps/core/text.py). Form fields and URLs are checked for NUL apart."""
from __future__ import annotations

import json
import re
from typing import Any

from apps.core.text import NUL_CHARACTER, holds_nul

TOO_DEEP = "The request body is nested too deeply."
NOT_A_NUMBER = "The request body holds {constant}, which JSON does not allow."
LONE_SURROGATE = "The request body holds a lone UTF-16 surrogate escape (\\ud800-\\udfff), which is not a character."

# A surrogate escape, paired or not: only a body that has one is checked further.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class BodyRefused(ValueError):
    """Valid JSON syntax that a request body may still not hold; the message says why."""

    def __init__(self, message: str, code: str = "invalid_json") -> None:
        super().__init__(message)
        self.code = code


def _refuse_constant(constant: str) -> None:
    raise BodyRefused(NOT_A_NUMBER.format(constant=constant))


def json_loads(raw: bytes | str) -> Any:
    """``json.loads`` that raises ``ValueError`` for each case above (``BodyRefused`` with a
    message and code for the client; a syntax error stays ``json.JSONDecodeError``)."""
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise BodyRefused(TOO_DEEP) from None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes | bytearray) else raw
    try:
        if _SURROGATE_ESCAPE.search(text):
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        if "\\u0000" in text and holds_nul(value):
            raise BodyRefused(NUL_CHARACTER, code="invalid_character")
    except UnicodeEncodeError:
        raise BodyRefused(LONE_SURROGATE) from None
    except RecursionError:  # nested as deep as the parser allows, deeper than these walks do
        raise BodyRefused(TOO_DEEP) from None
    return value
