"""Row locks of the billing area, one helper per model (Saleor). One order everywhere, no
deadlocks: a task's Hold first (if the operation has one), then the organization's Balance.
The hot path (hold, capture within the hold, release) does not call these helpers: its
compare-and-set UPDATE on the Hold and its conditional UPDATE on the Balance take the same
row locks in the same order, the Balance one last (``ledger.entries_apply``)."""
from __future__ import annotations

from apps.billing.models import Balance, BillingProfile, Hold, StripeEvent


def balance_lock(*, organization_id: int) -> Balance:
    """Locks (creating it on first use) the organization's balance row. Call inside atomic()."""
    Balance.objects.get_or_create(organization_id=organization_id)
    return Balance.objects.select_for_update(of=("self",)).get(organization_id=organization_id)


def hold_lock(*, task_id: str) -> Hold | None:
    return Hold.objects.select_for_update(of=("self",)).filter(task_id=task_id).first()


def billing_profile_lock(*, organization_id: int) -> BillingProfile:
    BillingProfile.objects.get_or_create(organization_id=organization_id)
    return BillingProfile.objects.select_for_update(of=("self",)).get(organization_id=organization_id)


def stripe_event_lock(*, stripe_id: str) -> StripeEvent:
    return StripeEvent.objects.select_for_update(of=("self",)).get(stripe_id=stripe_id)
