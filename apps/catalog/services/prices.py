"""Price versions: append-only. A change is a new version; old versions keep charging old tasks."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.catalog.models import AiModel, PriceVersion
from apps.core.errors import ApplicationError

INVALID_RULES = "Invalid price rules: {detail}."
QUANTITY_KINDS = ("prompt_tokens", "max_output_tokens")


def price_rules_check(rules: Any) -> None:
    """Structural check of rules (see apps/catalog/data/README.md); raises ApplicationError."""
    def fail(detail: str):
        raise ApplicationError(INVALID_RULES.format(detail=detail), code="invalid_price_rules")

    if not isinstance(rules, list) or not rules:
        fail("a non-empty list is required")
    for rule in rules:
        if not isinstance(rule, dict) or not rule.get("item"):
            fail("every rule needs an item")
        if ("usd" in rule) == ("table" in rule):
            fail(f"{rule['item']}: give exactly one of usd or table")
        prices = [rule["usd"]] if "usd" in rule else [row.get("usd") for row in rule["table"]]
        for price in prices:
            if isinstance(price, float):
                fail(f"{rule['item']}: write prices as strings, not floats")
            try:
                if Decimal(str(price)) < 0:
                    fail(f"{rule['item']}: negative price")
            except InvalidOperation:
                fail(f"{rule['item']}: {price!r} is not a number")
        if int(rule.get("per", 1)) < 1:
            fail(f"{rule['item']}: per must be ≥ 1")


@transaction.atomic
def price_version_create(*, model: AiModel, rules: list[dict], effective_from: datetime | None = None,
                         created_by=None, note: str = "") -> PriceVersion:
    price_rules_check(rules)
    version = PriceVersion(model=model, rules=rules, effective_from=effective_from or timezone.now(),
                           created_by=created_by, note=note)
    version.full_clean()
    version.save()
    return version
