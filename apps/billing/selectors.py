"""Reads of the billing area; each takes the organization explicitly."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from apps.accounts.models import Organization
from apps.billing.models import Balance, BillingProfile, LedgerEntry, Payment, PaymentStatus
from apps.billing.stripe_client import stripe_is_configured  # noqa: F401 - re-exported for the dashboard


@dataclass(frozen=True)
class BalanceView:
    balance_micros: int
    held_micros: int
    available_micros: int


def balance_get(*, organization: Organization) -> BalanceView:
    row = Balance.objects.filter(organization=organization).values_list("balance_micros", "held_micros").first()
    balance, held = row or (0, 0)
    return BalanceView(balance_micros=balance, held_micros=held, available_micros=balance - held)


def ledger_entry_list(*, organization: Organization, kind: str | None = None, since: datetime | None = None,
                      until: datetime | None = None, task_id: str | None = None) -> QuerySet[LedgerEntry]:
    """Newest first. Hold/release bookkeeping is included; filter by kind to hide it."""
    entries = LedgerEntry.objects.filter(organization=organization).select_related("actor")
    if kind:
        entries = entries.filter(kind=kind)
    if since:
        entries = entries.filter(created_at__gte=since)
    if until:
        entries = entries.filter(created_at__lt=until)
    if task_id:
        entries = entries.filter(task_id=task_id)
    return entries.order_by("-created_at", "-pk")


def payment_list(*, organization: Organization, include_unpaid: bool = False) -> QuerySet[Payment]:
    """Top-ups with amount_micros, created_at/paid_at, status and receipt_url, newest first."""
    payments = Payment.objects.filter(organization=organization)
    if not include_unpaid:
        payments = payments.filter(status=PaymentStatus.PAID)
    return payments.order_by("-created_at", "-pk")


def billing_profile_get(*, organization: Organization) -> BillingProfile | None:
    return BillingProfile.objects.filter(organization=organization).first()
