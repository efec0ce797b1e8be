"""Paid Checkout Sessions in Stripe versus top-up entries in the ledger."""
from __future__ import annotations

from apps.billing.models import EntryKind, LedgerEntry
from apps.billing.services.checkout import TOPUP_PURPOSE
from apps.billing.stripe_client import cents_to_micros, stripe_client


def stripe_reconcile(*, created_since: int | None = None) -> list[str]:
    params: dict = {"limit": 100, "status": "complete"}
    if created_since:
        params["created"] = {"gte": created_since}
    paid: dict[str, tuple[str, int]] = {}
    for session in stripe_client().v1.checkout.sessions.list(params).auto_paging_iter():
        metadata = session.metadata.to_dict() if session.metadata else {}
        if session.payment_status == "paid" and metadata.get("purpose") == TOPUP_PURPOSE:
            paid[session.id] = (metadata.get("organization_id", ""), cents_to_micros(session.amount_total))
    entries = LedgerEntry.objects.filter(kind=EntryKind.TOPUP, idempotency_key__startswith="stripe_session:")
    if created_since:
        from datetime import datetime, timezone

        entries = entries.filter(created_at__gte=datetime.fromtimestamp(created_since, tz=timezone.utc))
    credited = {e.stripe_id: (e.organization.public_id, e.amount_micros) for e in entries.select_related("organization")}
    differences = []
    for session_id, (org, amount) in sorted(paid.items()):
        if session_id not in credited:
            differences.append(f"{session_id}: paid {amount} micro-USD for {org} in Stripe, not credited")
        elif credited[session_id] != (org, amount):
            differences.append(f"{session_id}: Stripe {org} {amount}, ledger {credited[session_id][0]} {credited[session_id][1]}")
    for session_id, (org, amount) in sorted(credited.items()):
        if session_id not in paid:
            differences.append(f"{session_id}: credited {amount} micro-USD to {org}, no paid session in Stripe")
    return differences
