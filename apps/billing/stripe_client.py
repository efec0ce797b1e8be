"""The Stripe client and the one cents ↔ micro-USD conversion."""
from __future__ import annotations

import stripe
from django.conf import settings

from apps.core.money import MICROS_PER_USD

MICROS_PER_CENT = MICROS_PER_USD // 100


def stripe_is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def stripe_client() -> stripe.StripeClient:
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    # Retries are left to the caller (and reuse the same idempotency key inside the library).
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=2)


def cents_to_micros(cents: int) -> int:
    return int(cents) * MICROS_PER_CENT


def micros_to_cents(micros: int) -> int:
    """Stripe charges whole cents; a sub-cent amount is a caller bug, not something to round."""
    cents, rest = divmod(int(micros), MICROS_PER_CENT)
    if rest:
        raise ValueError(f"{micros} micro-USD is not a whole number of cents")
    return cents
