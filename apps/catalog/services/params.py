"""Parameter validation: each model's JSON Schema (data) checked with jsonschema.

Error codes come from the failing JSON Schema keyword; a schema node may carry
``x-tollgate-error: {code, param, message}`` to name a cross-field rule better than the raw
keyword could (e.g. "1080p supports only 6-second videos")."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError, best_match

from apps.catalog import errors
from apps.catalog.selectors import FILE_MARKER, model_row_cached
from apps.catalog.types import ResolvedModel
from apps.core.errors import ApplicationError

ERROR_MARKER = "x-tollgate-error"
UPLOAD_PLACEHOLDER = "upload://file"  # stands in for an uploaded file while the schema is checked
URL_SCHEMES = ("http://", "https://", "data:", "upload://")
IGNORED_KEYS = frozenset({"model"})  # the surfaces' routing key, not a model parameter

MISSING_PARAMETER = "Missing required parameter: '{param}'."
UNKNOWN_PARAMETER = "Unrecognized parameter: '{param}'."
INVALID_TYPE = "Invalid type for '{param}': expected {expected}."
INVALID_VALUE = "Invalid value for '{param}': {detail}."

FORMAT_CHECKER = FormatChecker()


@FORMAT_CHECKER.checks("uri")
def _is_url(value: object) -> bool:
    return not isinstance(value, str) or value.startswith(URL_SCHEMES)


def _sum_range(validator, spec, instance, schema):
    """``x-tollgate-sum: {field, minimum, maximum}``: the items' ``field`` values must total within range
    (Kling 3.0 multi_shot: 3–15 s in all) — a rule plain JSON Schema cannot say."""
    if not isinstance(instance, list):
        return
    total = sum(Decimal(str(item.get(spec["field"], 0))) for item in instance if isinstance(item, dict))
    if total < Decimal(str(spec.get("minimum", total))) or total > Decimal(str(spec.get("maximum", total))):
        yield ValidationError(f"the total {spec['field']} must be between {spec.get('minimum')} and {spec.get('maximum')}")


SchemaValidator = validators.extend(Draft202012Validator, {"x-tollgate-sum": _sum_range})


def params_validate(*, model: ResolvedModel, params: dict) -> dict:
    """Validated params with defaults applied; raises a 400 ApplicationError naming the rule and field."""
    row = model_row_cached(model_pk=model.pk)
    return params_validate_schema(schema=row.parameter_schema, params=params, max_output_tokens=row.max_output_tokens)


def params_validate_schema(*, schema: dict, params: dict, max_output_tokens: int | None = None) -> dict:
    if not isinstance(params, dict):
        raise ApplicationError(errors.INVALID_PARAMS_OBJECT, code="invalid_type")
    properties = schema.get("properties") or {}
    cleaned = {key: _coerce(value, properties.get(key) or {}) for key, value in params.items() if key not in IGNORED_KEYS}
    checked = {key: _file_placeholder(value, properties.get(key) or {}) for key, value in cleaned.items()}
    error = best_match(SchemaValidator(schema, format_checker=FORMAT_CHECKER).iter_errors(checked))
    if error is not None:
        raise _to_application_error(error, schema)
    for name, prop in properties.items():
        if name not in cleaned and "default" in prop:
            cleaned[name] = prop["default"]
    if max_output_tokens and "max_tokens" in properties and "max_tokens" not in cleaned and "max_completion_tokens" not in cleaned:
        # The quote holds for this many output tokens: make the provider stop there too.
        cleaned["max_tokens"] = min(settings.CATALOG_DEFAULT_MAX_TOKENS, max_output_tokens)
    return cleaned


def _coerce(value: Any, prop: dict) -> Any:
    """Form fields and query strings arrive as text: read them as the schema's type."""
    if not isinstance(value, str):
        return value
    kind = prop.get("type")
    text = value.strip()
    try:
        if kind == "boolean" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if kind == "integer" and text.lstrip("-").isdigit():
            return int(text)
        if kind == "number":
            number = Decimal(text)
            return int(number) if number == number.to_integral_value() and "." not in text else float(text)
        if kind in ("object", "array") and text[:1] in "{[":
            return json.loads(text)
    except (ValueError, ArithmeticError):
        return value
    return value


def _file_placeholder(value: Any, prop: dict) -> Any:
    if not prop.get(FILE_MARKER) or isinstance(value, (str, int, float, bool, dict)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [item if isinstance(item, str) else UPLOAD_PLACEHOLDER for item in value]
    return UPLOAD_PLACEHOLDER  # an uploaded file object


def _marker_for(error: ValidationError, schema: dict) -> dict | None:
    found = None
    node: Any = schema
    for part in error.absolute_schema_path:
        if isinstance(node, dict) and ERROR_MARKER in node:
            found = node[ERROR_MARKER]
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    if isinstance(error.schema, dict) and ERROR_MARKER in error.schema:
        found = error.schema[ERROR_MARKER]
    return found


def _param_path(error: ValidationError, name: str | None = None) -> str | None:
    parts = [str(p) for p in error.absolute_path]
    if name:
        parts.append(name)
    return ".".join(parts) or None


def _to_application_error(error: ValidationError, schema: dict) -> ApplicationError:
    marker = _marker_for(error, schema)
    if marker:
        return ApplicationError(marker["message"], code=marker.get("code", "invalid_value"), param=marker.get("param"))
    keyword = error.validator
    if keyword == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        name = next((p for p in error.validator_value if p not in instance), None)
        param = _param_path(error, name)
        return ApplicationError(MISSING_PARAMETER.format(param=param), code="missing_parameter", param=param)
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        allowed = set((error.schema.get("properties") or {}).keys())
        extra = sorted(k for k in (error.instance or {}) if k not in allowed)
        param = _param_path(error, extra[0] if extra else None)
        return ApplicationError(UNKNOWN_PARAMETER.format(param=param), code="unknown_parameter", param=param)
    param = _param_path(error)
    if keyword == "type":
        expected = error.validator_value if isinstance(error.validator_value, str) else " or ".join(error.validator_value)
        return ApplicationError(INVALID_TYPE.format(param=param, expected=expected), code="invalid_type", param=param)
    return ApplicationError(INVALID_VALUE.format(param=param, detail=_detail(error)), code="invalid_value", param=param)


def _detail(error: ValidationError) -> str:
    value = error.validator_value
    details = {
        "enum": lambda: "must be one of " + ", ".join(str(v) for v in value),
        "const": lambda: f"must be {value}",
        "minimum": lambda: f"must be at least {value}",
        "maximum": lambda: f"must be at most {value}",
        "exclusiveMinimum": lambda: f"must be greater than {value}",
        "exclusiveMaximum": lambda: f"must be less than {value}",
        "maxLength": lambda: f"must be at most {value} characters",
        "minLength": lambda: f"must be at least {value} characters",
        "maxItems": lambda: f"must have at most {value} items",
        "minItems": lambda: f"must have at least {value} items",
        "format": lambda: "must be a URL (http, https or data)",
        "multipleOf": lambda: f"must be a multiple of {value}",
        "pattern": lambda: "has the wrong format",
    }
    return details.get(error.validator, lambda: error.message)()
