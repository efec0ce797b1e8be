"""Fitting a foreign request (OpenAI, seed 003/004) onto a model's catalog parameters.

The catalog schema rejects parameters it does not know, so a surface renames fields to the
spelling the model's schema uses (``input`` → ``text``, ``size`` → ``width``/``height``...).
Which spelling applies is read from the schema: translation, not business rules."""
from __future__ import annotations

from math import gcd
from typing import Any

from asgiref.sync import sync_to_async


def _parameter_names_sync(model: str) -> set[str] | None:
    from apps.catalog.selectors import model_find

    row = model_find(name=model)
    if row is None:
        return None  # the engine answers 404 unsupported_model
    return set((row.parameter_schema or {}).get("properties") or {})


async def parameter_names(model: str) -> set[str] | None:
    return await sync_to_async(_parameter_names_sync)(model)


def fit(params: dict[str, Any], names: set[str] | None, *, renames: dict[str, tuple[str, ...]] | None = None,
        optional: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Renames each key to the first spelling the schema knows; drops ``optional`` keys the
    schema lacks (client defaults such as ``n=1``). Unknown names pass (the catalog says 400)."""
    if names is None:
        return dict(params)
    fitted: dict[str, Any] = {}
    for key, value in params.items():
        if key not in names:
            target = next((name for name in (renames or {}).get(key, ()) if name in names), None)
            if target is not None:
                key = target
            elif key in optional:
                continue
        fitted.setdefault(key, value)
    return fitted


def _ratio(width: int, height: int) -> str:
    divisor = gcd(width, height) or 1
    return f"{width // divisor}:{height // divisor}"


def _pixels(ratio: str, long_side: int = 1024) -> tuple[int, int] | None:
    try:
        w, h = (float(part) for part in ratio.split(":"))
    except ValueError:
        return None
    if w <= 0 or h <= 0:
        return None
    scale = long_side / max(w, h)
    return int(round(w * scale / 16) * 16), int(round(h * scale / 16) * 16)


def fit_size(params: dict[str, Any], names: set[str] | None) -> dict[str, Any]:
    """``size`` as OpenAI ("1024x1536") or seed 004 ("16:9") spells it, in the model's own terms:
    ``size``, ``width``+``height`` or ``aspect_ratio``."""
    size = params.get("size")
    if names is None or not isinstance(size, str) or "size" in names:
        return params  # the model spells it "size" itself (seed 004's imagine models: "1:1")
    params = dict(params)
    params.pop("size")
    if "x" in size.lower():
        try:
            width, height = (int(part) for part in size.lower().split("x"))
        except ValueError:
            return {**params, "size": size}
        ratio = _ratio(width, height)
    else:
        ratio = size
        width, height = _pixels(size) or (None, None)
    if "aspect_ratio" in names:
        params["aspect_ratio"] = ratio
    elif {"width", "height"} <= names and width and height:
        params["width"], params["height"] = width, height
    elif "size" in names and width and height:
        params["size"] = f"{width}x{height}"
    else:
        params["size"] = size  # let the catalog name the problem
    return params
