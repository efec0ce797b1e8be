"""Whole-catalog import/export as YAML, so catalog changes are reviewed in version control.

Import is idempotent: models, aliases and routes are synced to the file; a new price version is
created only when a model's rules differ from its current version."""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone as dt_timezone
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction
from django.utils.dateparse import parse_datetime
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from apps.catalog.cache import catalog_changed
from apps.catalog.models import MODALITIES, AiModel, ModelAlias, Route
from apps.catalog.selectors import price_version_current
from apps.catalog.services.prices import price_rules_check, price_version_create
from apps.core.errors import ApplicationError
from apps.providers.base import TaskKind

SHIPPED_CATALOG = Path(__file__).resolve().parent.parent / "data" / "catalog.yaml"
# Families the catalog may name before their adapter exists (documented in data/README.md).
FUTURE_FAMILIES = frozenset({"replicate", "fal", "together", "azure_openai", "vertex"})
INVALID_CATALOG = "Invalid catalog file: {detail}"
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=dt_timezone.utc)  # "latest version, even if not yet effective"


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    price_versions: list[str] = field(default_factory=list)


def catalog_file_default() -> Path:
    return Path(settings.CATALOG_DATA_FILE) if settings.CATALOG_DATA_FILE else SHIPPED_CATALOG


def known_families() -> set[str]:
    from apps.providers.registry import families

    return set(families()) | FUTURE_FAMILIES


def _fail(detail: str):
    raise ApplicationError(INVALID_CATALOG.format(detail=detail), code="invalid_catalog")


def model_schema_build(*, schema: dict, max_output_tokens: int | None) -> dict:
    """Copy the schema and cap max_tokens at the model's own output limit."""
    built = copy.deepcopy(schema)
    for name in ("max_tokens", "max_completion_tokens"):
        prop = (built.get("properties") or {}).get(name)
        if prop is not None and max_output_tokens:
            prop["maximum"] = max_output_tokens
    return built


def _entry_schema(entry: dict, shared: dict[str, dict]) -> dict:
    parameters = entry.get("parameters")
    if isinstance(parameters, str):
        if parameters not in shared:
            _fail(f"{entry['id']}: unknown shared schema {parameters!r}")
        parameters = shared[parameters]
    if not isinstance(parameters, dict):
        _fail(f"{entry.get('id')}: parameters must be a schema or the name of one")
    try:
        Draft202012Validator.check_schema(parameters)
    except SchemaError as exc:
        _fail(f"{entry['id']}: bad parameter schema: {exc.message}")
    return model_schema_build(schema=parameters, max_output_tokens=entry.get("max_output_tokens"))


def _check_entry(entry: dict, families: set[str]) -> None:
    model_id = entry.get("id") or ""
    if "/" not in model_id:
        _fail(f"{model_id!r}: canonical ids are 'provider/model'")
    if entry.get("modality") not in MODALITIES:
        _fail(f"{model_id}: modality must be one of {', '.join(MODALITIES)}")
    if entry.get("task_kind") not in {kind.value for kind in TaskKind}:
        _fail(f"{model_id}: task_kind {entry.get('task_kind')!r} is not a TaskKind")
    for route in entry.get("routes") or []:
        if route.get("family") not in families:
            _fail(f"{model_id}: route family {route.get('family')!r} is not a registered adapter family")
    if entry.get("price"):
        price_rules_check(entry["price"].get("rules"))


@transaction.atomic
def catalog_import(*, data: dict, only_new: bool = False, created_by=None) -> ImportReport:
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        _fail("expected a mapping with a 'models' list")
    shared = data.get("schemas") or {}
    families = known_families()
    report = ImportReport()
    seen_aliases: dict[str, str] = {}
    for entry in data["models"]:
        _check_entry(entry, families)
        for alias in entry.get("aliases") or []:
            if alias in seen_aliases and seen_aliases[alias] != entry["id"]:
                _fail(f"alias {alias!r} names both {seen_aliases[alias]} and {entry['id']}")
            seen_aliases[alias] = entry["id"]
    for entry in data["models"]:
        existing = AiModel.objects.filter(model_id=entry["id"]).first()
        if existing and only_new:
            report.skipped.append(entry["id"])
            continue
        _import_model(entry, _entry_schema(entry, shared), existing, report, created_by)
    catalog_changed()  # route rows are also written by queryset updates, which send no signal
    return report


def _import_model(entry: dict, schema: dict, row: AiModel | None, report: ImportReport, created_by) -> None:
    values = {
        "display_name": entry.get("display_name") or entry["id"],
        "provider": entry["id"].split("/", 1)[0],
        "modality": entry["modality"],
        "task_kind": entry["task_kind"],
        "is_enabled": bool(entry.get("enabled", True)),
        "description": entry.get("description") or "",
        "documentation": entry.get("documentation") or "",
        "parameter_schema": schema,
        "max_output_tokens": entry.get("max_output_tokens"),
        "tokenizer": entry.get("tokenizer") or "",
        "unpriced_reason": entry.get("unpriced_reason") or "",
    }
    is_new = changed = row is None
    if row is None:
        row = AiModel(model_id=entry["id"], **values)
    else:
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
    if changed:
        row.full_clean()
        row.save()
    changed |= _sync_aliases(row, entry.get("aliases") or [])
    changed |= _sync_routes(row, entry.get("routes") or [])
    if entry.get("price") and _sync_price(row, entry["price"], created_by):
        report.price_versions.append(row.model_id)
        changed = True
    (report.created if is_new else report.updated if changed else report.unchanged).append(row.model_id)


def _sync_aliases(row: AiModel, names: list[str]) -> bool:
    current = set(row.aliases.values_list("name", flat=True))
    wanted = set(names)
    if current == wanted:
        return False
    row.aliases.exclude(name__in=wanted).delete()
    for name in wanted - current:
        ModelAlias.objects.update_or_create(name=name, defaults={"model": row})
    return True


def _sync_routes(row: AiModel, routes: list[dict]) -> bool:
    changed = False
    keep = []
    for index, spec in enumerate(routes):
        values = {"base_url": spec.get("base_url") or "", "options": spec.get("options") or {},
                  "priority": int(spec.get("priority", (index + 1) * 10)), "is_enabled": bool(spec.get("enabled", True))}
        route, created = Route.objects.get_or_create(model=row, family=spec["family"],
                                                     upstream_model=spec.get("upstream_model") or "", defaults=values)
        if not created and any(getattr(route, k) != v for k, v in values.items()):
            Route.objects.filter(pk=route.pk).update(**values)
            changed = True
        changed |= created
        keep.append(route.pk)
    deleted, _ = row.routes.exclude(pk__in=keep).delete()
    return changed or bool(deleted)


def _canonical(rules: Any) -> str:
    return json.dumps(rules, sort_keys=True, default=str)


def _sync_price(row: AiModel, price: dict, created_by) -> bool:
    current = price_version_current(model_pk=row.pk, at=FAR_FUTURE)
    if current is not None and _canonical(current.rules) == _canonical(price["rules"]):
        return False
    effective_from = price.get("effective_from")
    if isinstance(effective_from, str):
        effective_from = parse_datetime(effective_from)
    if current is not None and effective_from is not None and effective_from <= current.effective_from:
        effective_from = None  # a changed price takes effect now, never behind the version it replaces
    price_version_create(model=row, rules=price["rules"], effective_from=effective_from, created_by=created_by,
                         note=price.get("note") or "")
    return True


def catalog_export() -> dict:
    models = []
    for row in AiModel.objects.prefetch_related("aliases", "routes").order_by("model_id"):
        entry: dict[str, Any] = {
            "id": row.model_id, "display_name": row.display_name, "modality": row.modality,
            "task_kind": row.task_kind, "enabled": row.is_enabled,
            "aliases": sorted(a.name for a in row.aliases.all()),
        }
        for name in ("description", "documentation", "tokenizer", "unpriced_reason"):
            if getattr(row, name):
                entry[name] = getattr(row, name)
        if row.max_output_tokens:
            entry["max_output_tokens"] = row.max_output_tokens
        entry["parameters"] = row.parameter_schema
        entry["routes"] = [
            {k: v for k, v in {"family": r.family, "upstream_model": r.upstream_model, "base_url": r.base_url,
                               "options": r.options, "priority": r.priority, "enabled": r.is_enabled}.items()
             if v not in ("", {}, None)}
            for r in sorted(row.routes.all(), key=lambda r: (r.priority, r.pk))
        ]
        version = price_version_current(model_pk=row.pk, at=FAR_FUTURE)
        entry["price"] = ({"rules": version.rules, "effective_from": version.effective_from.isoformat(),
                           "note": version.note} if version else None)
        models.append(entry)
    return {"version": 1, "models": models}


def catalog_load_file(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def catalog_dump(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
