"""Money Stripe took versus top-up entries in the ledger: paid Checkout Sessions (top-ups from
the dashboard) and succeeded auto-recharge PaymentIntents (charged off-session). Each is
credited by its webhook under its own idempotency key; a lost or mis-credited webhook shows up
here as a difference."""
from __future__ import annotations

from datetime import datetime, timezone

from apps.billing.models import EntryKind, LedgerEntry
from apps.billing.services.auto_recharge import AUTO_RECHARGE_PURPOSE
from apps.billing.services.checkout import TOPUP_PURPOSE
from apps.billing.stripe_client import cents_to_micros, stripe_client

# Stripe object id → (organization public id, micro-USD)
Paid = dict[str, tuple[str, int]]


def stripe_reconcile(*, created_since: int | None = None) -> list[str]:
    since = {"created": {"gte": created_since}} if created_since else {}
    return (_differences(_paid_sessions(since), _credited("stripe_session:", created_since), what="paid session")
            + _differences(_paid_auto_recharges(since), _credited("stripe_payment_intent:", created_since),
                           what="succeeded auto-recharge payment"))


def _paid_sessions(since: dict) -> Paid:
    paid: Paid = {}
    for session in stripe_client().v1.checkout.sessions.list({"limit": 100, "status": "complete", **since}).auto_paging_iter():
        metadata = session.metadata.to_dict() if session.metadata else {}
        if session.payment_status == "paid" and metadata.get("purpose") == TOPUP_PURPOSE:
            paid[session.id] = (metadata.get("organization_id", ""), cents_to_micros(session.amount_total))
    return paid


def _paid_auto_recharges(since: dict) -> Paid:
    paid: Paid = {}
    for intent in stripe_client().v1.payment_intents.list({"limit": 100, **since}).auto_paging_iter():
        metadata = intent.metadata.to_dict() if intent.metadata else {}
        if intent.status == "succeeded" and metadata.get("purpose") == AUTO_RECHARGE_PURPOSE:
            paid[intent.id] = (metadata.get("organization_id", ""), cents_to_micros(intent.amount_received))
    return paid


def _credited(key_prefix: str, created_since: int | None) -> Paid:
    entries = LedgerEntry.objects.filter(kind=EntryKind.TOPUP, idempotency_key__startswith=key_prefix)
    if created_since:
        entries = entries.filter(created_at__gte=datetime.fromtimestamp(created_since, tz=timezone.utc))
    return {e.stripe_id: (e.organization.public_id, e.amount_micros) for e in entries.select_related("organization")}


def _differences(paid: Paid, credited: Paid, *, what: str) -> list[str]:
    differences = []
    for stripe_id, (org, amount) in sorted(paid.items()):
        if stripe_id not in credited:
            differences.append(f"{stripe_id}: paid {amount} micro-USD for {org} in Stripe, not credited")
        elif credited[stripe_id] != (org, amount):
            differences.append(f"{stripe_id}: Stripe {org} {amount}, ledger {credited[stripe_id][0]} {credited[stripe_id][1]}")
    for stripe_id, (org, amount) in sorted(credited.items()):
        if stripe_id not in paid:
            differences.append(f"{stripe_id}: credited {amount} micro-USD to {org}, no {what} in Stripe")
    return differences
