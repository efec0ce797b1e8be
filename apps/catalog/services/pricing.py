"""Quotes and charges from a price version's rules (data). Rule format: apps/catalog/data/README.md.

A quote is the most a task can cost (the hold); a charge is the actual cost from the adapter's
usage, with the same price version. Every line is rounded once with ``charge_micros``."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from apps.catalog import errors
from apps.catalog.models import AiModel, PriceVersion
from apps.catalog.selectors import model_row_cached, price_version_current, price_version_get
from apps.catalog.types import Charge, PriceLine, Quote, ResolvedModel
from apps.core.errors import ApplicationError
from apps.core.tokens import DEFAULT_ENCODING, count_tokens
from apps.core.money import CURRENCY, MICROS_PER_USD, charge_micros

TOKEN_QUANTITIES = frozenset({"prompt_tokens", "max_output_tokens"})
# OpenAI's chat format adds a few tokens per message and per reply (their cookbook's formula).
TOKENS_PER_MESSAGE = 4
TOKENS_PER_REPLY = 3
# An image part in a message is not text: hold for a high-detail image (OpenAI bills 765–1105).
TOKENS_PER_IMAGE_PART = 1105
NO_MATCHING_PRICE = "No price applies to these parameters ({item})."


def price_quote(*, model: ResolvedModel, params: dict, quantities: dict[str, Any] | None = None) -> Quote:
    """The maximum cost of a task with these (validated) params. ``quantities`` lets the engine
    replace an assumed quantity by a measured one (e.g. {"audio_seconds": "12.5"} once probed)."""
    row = model_row_cached(model_pk=model.pk)
    version = price_version_current(model_pk=row.pk)
    if version is None:
        raise errors.model_unpriced(row.model_id)
    lines, assumptions, inputs = _lines(row=row, version=version, params=params, usage=None, overrides=quantities or {})
    return Quote(model_id=row.model_id, price_version_id=version.pk, amount_micros=sum(line.amount_micros for line in lines),
                 currency=CURRENCY, lines=lines, assumptions=assumptions, formula_inputs=inputs)


def price_charge(*, price_version_id: int, params: dict, usage: dict) -> Charge:
    """The actual cost from usage keys. Token lines take the reported tokens; other lines take
    the reported quantity but never more than was quoted (the hold), else the quoted quantity."""
    version = price_version_get(pk=price_version_id)
    if version is None:
        raise ApplicationError(errors.PRICE_VERSION_NOT_FOUND.format(pk=price_version_id), code="price_version_not_found",
                               type="api_error", status=500)
    lines, _, inputs = _lines(row=version.model, version=version, params=params, usage=usage or {}, overrides={})
    quantities = {line.item: line.quantity for line in lines}
    return Charge(amount_micros=sum(line.amount_micros for line in lines), lines=lines, quantities=quantities)


def price_summary(version: PriceVersion) -> dict[str, Any]:
    """Human/API view of a version's rules, prices as decimal USD strings."""
    lines = []
    for rule in version.rules:
        line = {"item": rule["item"], "unit": rule.get("unit", "request"), "per": int(rule.get("per", 1))}
        if "table" in rule:
            line["table"] = [{"when": row.get("when", {}), "usd": _usd(row["usd"])} for row in rule["table"]]
        else:
            line["usd"] = _usd(rule["usd"])
        lines.append(line)
    return {"price_version_id": version.pk, "effective_from": version.effective_from.isoformat(), "currency": CURRENCY,
            "lines": lines, "note": version.note}


def _usd(value: Any) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def _with_defaults(row: AiModel, params: dict) -> dict:
    merged = dict(params)
    for name, prop in (row.parameter_schema.get("properties") or {}).items():
        if name not in merged and "default" in prop:
            merged[name] = prop["default"]
    return merged


def _lines(*, row: AiModel, version: PriceVersion, params: dict, usage: dict | None, overrides: dict):
    params = _with_defaults(row, params)
    assumptions: dict[str, Any] = {}
    inputs: dict[str, Any] = {}
    lines: list[PriceLine] = []
    for rule in version.rules:
        quoted = _quantity(rule.get("quantity", 1), row=row, params=params, assumptions=assumptions, inputs=inputs,
                           overrides=overrides, usage=usage, usage_key=rule.get("usage"),
                           margin_percent=int(rule.get("margin_percent", 0)))
        times = rule.get("times")
        if times:
            quoted *= Decimal(str(_param_value(params, times, inputs)))
        quantity = _charged_quantity(rule, quoted, usage)
        usd = _unit_price_usd(rule, params, inputs)
        per = int(rule.get("per", 1))
        unit_price_micros = Decimal(usd) * MICROS_PER_USD
        lines.append(PriceLine(item=rule["item"], quantity=_text(quantity), unit=rule.get("unit", "request"),
                               unit_price_micros=_text(unit_price_micros), per=per,
                               amount_micros=charge_micros(quantity, unit_price_micros, per=per)))
        inputs.setdefault("quantities", {})[rule["item"]] = _text(quantity)
    return lines, assumptions, inputs


def _text(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def _charged_quantity(rule: dict, quoted: Decimal, usage: dict | None) -> Decimal:
    key = rule.get("usage")
    if usage is None or not key or usage.get(key) is None:
        return quoted
    reported = Decimal(str(usage[key]))
    if isinstance(rule.get("quantity"), str) and rule["quantity"] in TOKEN_QUANTITIES:
        return reported  # actual tokens; the caller's max_tokens already bounds the output
    return min(reported, quoted)


def _param_value(params: dict, spec: dict, inputs: dict) -> Any:
    value = params.get(spec["param"], spec.get("default"))
    if value is None:
        value = spec.get("default", 0)
    inputs[spec["param"]] = value
    return value


def _quantity(spec: Any, *, row, params, assumptions, inputs, overrides, usage, usage_key, margin_percent=0) -> Decimal:
    if usage_key and usage_key in overrides:
        assumptions[f"{usage_key}_measured"] = str(overrides[usage_key])
        return Decimal(str(overrides[usage_key]))
    if spec == "prompt_tokens":
        if usage and usage.get("input_tokens") is not None:
            return Decimal(int(usage["input_tokens"]))
        return Decimal(_prompt_tokens(row, params, assumptions, margin_percent))
    if spec == "max_output_tokens":
        limit = params.get("max_completion_tokens") or params.get("max_tokens")
        if not limit:
            from django.conf import settings

            limit = min(settings.CATALOG_DEFAULT_MAX_TOKENS, row.max_output_tokens or settings.CATALOG_DEFAULT_MAX_TOKENS)
            assumptions["max_tokens_source"] = "CATALOG_DEFAULT_MAX_TOKENS"
        assumptions["max_tokens"] = int(limit)
        return Decimal(int(limit))
    if isinstance(spec, dict) and "param" in spec:
        return Decimal(str(_param_value(params, spec, inputs)))
    if isinstance(spec, dict) and "length_of" in spec:
        count = _text_length(params, spec["length_of"])
        inputs[f"{spec['length_of']}_characters"] = count
        return Decimal(count)
    if isinstance(spec, dict) and "assume" in spec:
        assumptions[spec.get("name", "assumed_quantity")] = spec["assume"]
        return Decimal(str(spec["assume"]))
    return Decimal(str(spec))


def _text_length(params: dict, path: str) -> int:
    """'text' -> len(params['text']); 'inputs[].text' -> total over the list."""
    if "[]." in path:
        field, sub = path.split("[].", 1)
        return sum(len(str(item.get(sub, ""))) for item in params.get(field) or [] if isinstance(item, dict))
    return len(str(params.get(path) or ""))


def _unit_price_usd(rule: dict, params: dict, inputs: dict) -> str:
    if "table" not in rule:
        return str(rule["usd"])
    for row in rule["table"]:
        when = row.get("when") or {}
        if all(_matches(params.get(name), condition) for name, condition in when.items()):
            for name in when:
                inputs[name] = params.get(name)
            return str(row["usd"])
    raise ApplicationError(NO_MATCHING_PRICE.format(item=rule["item"]), code="model_unpriced", status=400)


def _matches(value: Any, condition: Any) -> bool:
    if isinstance(condition, dict):
        if value is None:
            return condition.get("absent", False)
        number = Decimal(str(value))
        return (("min" not in condition or number >= Decimal(str(condition["min"])))
                and ("max" not in condition or number <= Decimal(str(condition["max"]))))
    if isinstance(condition, list):
        return value in condition
    return value == condition


def _prompt_tokens(row: AiModel, params: dict, assumptions: dict, margin: int) -> int:
    name = row.tokenizer or DEFAULT_ENCODING
    total, images = TOKENS_PER_REPLY, 0
    for message in params.get("messages") or []:
        total += TOKENS_PER_MESSAGE
        if not isinstance(message, dict):
            continue
        for key in ("role", "name"):
            if isinstance(message.get(key), str):
                total += count_tokens(message[key], name)
        content = message.get("content")
        if isinstance(content, str):
            total += count_tokens(content, name)
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    total += count_tokens(part["text"], name)
                elif isinstance(part, dict) and part.get("type") in ("image_url", "image", "input_image"):
                    images += 1
    total += images * TOKENS_PER_IMAGE_PART
    counted = total
    if margin:
        total = total + (total * margin + 99) // 100
    assumptions.update({"prompt_tokens": total, "tokenizer": name, "counted_tokens": counted,
                        "token_margin_percent": margin, "image_parts": images})
    return total
