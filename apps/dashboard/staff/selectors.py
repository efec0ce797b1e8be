"""Staff reads (the revenue report is in revenue.py). Unlike the tenant selectors these are
platform-wide on purpose: they back staff-only admin pages and never reach a customer surface."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import InvalidToken
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce

from apps.accounts.models import Organization
from apps.catalog.models import ProviderCredential, Route
from apps.catalog.selectors import credentials_for_family, provider_health_summary

SIMULATED_FAMILY = "simulated"
CREDENTIALS_CONFIGURED = "configured"
CREDENTIALS_MISSING = "missing"
CREDENTIALS_UNREADABLE = "unreadable"  # stored, but TOLLGATE_CREDENTIALS_KEY no longer decrypts them
CREDENTIALS_NOT_NEEDED = "not needed"


def organization_balances_annotate(*, organizations: QuerySet[Organization]) -> QuerySet[Organization]:
    """Adds ``balance_micros``, ``held_micros`` and ``available_micros`` (0 without a Balance row)
    in the same query: one LEFT JOIN, no query per organization."""
    return organizations.annotate(
        balance_micros=Coalesce(F("balance__balance_micros"), Value(0)),
        held_micros=Coalesce(F("balance__held_micros"), Value(0)),
    ).annotate(available_micros=F("balance_micros") - F("held_micros"))


@dataclass(frozen=True)
class ProviderHealthRow:
    family: str
    requests: int
    errors: int
    error_rate: float  # a ratio for display, not money
    avg_latency_ms: int
    has_routes: bool
    credentials: str  # one of CREDENTIALS_*


def provider_health_report(*, since: datetime) -> list[ProviderHealthRow]:
    """Every family that has traffic since ``since``, an enabled route or stored credentials,
    with its call counts and whether credentials are configured (environment or admin). Only
    the call counters and total latency are recorded, so latency is the mean (no percentiles)."""
    health = {row["family"]: row for row in provider_health_summary(since=since)}
    routed = set(Route.objects.filter(is_enabled=True).values_list("family", flat=True).distinct())
    stored = set(ProviderCredential.objects.values_list("family", flat=True))
    report = []
    for family in sorted(set(health) | routed | stored):
        row = health.get(family, {})
        report.append(ProviderHealthRow(
            family=family, requests=row.get("requests", 0), errors=row.get("errors", 0),
            error_rate=row.get("error_rate", 0.0), avg_latency_ms=row.get("avg_latency_ms", 0),
            has_routes=family in routed,
            credentials=_credentials_state(family),
        ))
    return report


def _credentials_state(family: str) -> str:
    if family == SIMULATED_FAMILY:
        return CREDENTIALS_NOT_NEEDED
    try:
        return CREDENTIALS_CONFIGURED if credentials_for_family(family=family) else CREDENTIALS_MISSING
    except InvalidToken:
        return CREDENTIALS_UNREADABLE
