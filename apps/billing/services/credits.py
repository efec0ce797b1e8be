"""Grants and staff adjustments of credit."""
from __future__ import annotations

from django.db import transaction

from apps.accounts.models import Organization
from apps.billing.lock_objects import balance_lock
from apps.billing.models import EntryKind, LedgerEntry
from apps.billing.services.ledger import entry_append
from apps.core.errors import ApplicationError

GRANT_KINDS = frozenset({EntryKind.PROMOTIONAL, EntryKind.ADJUSTMENT, EntryKind.TOPUP, EntryKind.REFUND})
INVALID_GRANT_KIND = "Unknown credit kind."
AMOUNT_MUST_BE_POSITIVE = "The amount must be positive."
AMOUNT_MUST_NOT_BE_ZERO = "The amount must not be zero."
REASON_REQUIRED = "A reason is required."
ADJUSTMENT_EXCEEDS_AVAILABLE = "The adjustment would take the available credit below zero."


def credit_grant(*, organization: Organization, amount_micros: int, kind: str, idempotency_key: str,
                 reason: str, actor=None, stripe_id: str = "", details: dict | None = None) -> LedgerEntry:
    """Adds (or, for a staff adjustment, removes) credit. Replaying the idempotency key returns
    the first entry and changes nothing."""
    if kind not in GRANT_KINDS:
        raise ApplicationError(INVALID_GRANT_KIND, code="invalid_value", param="kind")
    if not isinstance(amount_micros, int) or isinstance(amount_micros, bool):
        raise TypeError("amount_micros must be an int")
    if kind == EntryKind.ADJUSTMENT:
        if amount_micros == 0:
            raise ApplicationError(AMOUNT_MUST_NOT_BE_ZERO, code="invalid_value", param="amount")
        if not reason.strip():
            raise ApplicationError(REASON_REQUIRED, code="missing_parameter", param="reason")
    elif amount_micros <= 0:
        raise ApplicationError(AMOUNT_MUST_BE_POSITIVE, code="invalid_value", param="amount")
    with transaction.atomic():
        balance = balance_lock(organization_id=organization.pk)
        if amount_micros < 0 and balance.available_micros + amount_micros < 0:
            existing = LedgerEntry.objects.filter(organization=organization, idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing  # a replay of an adjustment that was applied when there was room
            raise ApplicationError(ADJUSTMENT_EXCEEDS_AVAILABLE, code="adjustment_exceeds_available", param="amount")
        entry, _ = entry_append(
            balance=balance, kind=kind, amount_micros=amount_micros, idempotency_key=idempotency_key,
            reason=reason[:500], actor=actor, stripe_id=stripe_id, details=details or {},
        )
    return entry
