"""Dramatiq actors of the billing area: thin, idempotent, ids only."""
import dramatiq

from apps.billing.services.auto_recharge import auto_recharge_charge


@dramatiq.actor(max_retries=3, time_limit=60_000)
def auto_recharge_run(organization_id: int) -> None:
    auto_recharge_charge(organization_id=organization_id)
