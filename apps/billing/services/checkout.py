"""Stripe Checkout top-ups. Credit is never granted here: only the signed webhook grants it."""
from __future__ import annotations

import uuid

from django.conf import settings
from apps.accounts.models import Organization
from apps.billing.models import BillingProfile, Payment
from apps.billing.stripe_client import micros_to_cents, stripe_client, stripe_is_configured
from apps.core.errors import ApplicationError
from apps.core.money import micros_to_display, usd_to_micros

STRIPE_NOT_CONFIGURED = "Top-ups are not configured on this server."
TOPUP_OUT_OF_RANGE = "The top-up amount must be between {minimum} and {maximum}."
TOPUP_WHOLE_CENTS = "The top-up amount must be a whole number of cents."
TOPUP_PURPOSE = "topup"


def topup_bounds_micros() -> tuple[int, int]:
    return usd_to_micros(settings.TOLLGATE_TOPUP_MIN_USD), usd_to_micros(settings.TOLLGATE_TOPUP_MAX_USD)


def topup_amount_validate(*, amount_micros: int) -> int:
    """Returns the amount in cents or raises the public error."""
    minimum, maximum = topup_bounds_micros()
    if not minimum <= amount_micros <= maximum:
        message = TOPUP_OUT_OF_RANGE.format(minimum=micros_to_display(minimum), maximum=micros_to_display(maximum))
        raise ApplicationError(message, code="amount_out_of_range", param="amount")
    try:
        return micros_to_cents(amount_micros)
    except ValueError:
        raise ApplicationError(TOPUP_WHOLE_CENTS, code="invalid_value", param="amount") from None


def _require_stripe() -> None:
    if not stripe_is_configured():
        raise ApplicationError(STRIPE_NOT_CONFIGURED, code="stripe_not_configured", status=503)


def stripe_customer_get_or_create(*, organization: Organization) -> str:
    """The organization's Stripe Customer id, created on first use. No lock is held across the
    Stripe call: concurrent first top-ups send the same idempotency key (Stripe returns one
    customer) and the id is stored by compare-and-set."""
    _require_stripe()
    profile, _ = BillingProfile.objects.get_or_create(organization=organization)
    if profile.stripe_customer_id:
        return profile.stripe_customer_id
    customer = stripe_client().v1.customers.create(
        {"name": organization.name, "metadata": {"organization_id": organization.public_id}},
        {"idempotency_key": f"customer:{organization.public_id}"},
    )
    BillingProfile.objects.filter(pk=profile.pk, stripe_customer_id__isnull=True).update(stripe_customer_id=customer.id)
    return BillingProfile.objects.values_list("stripe_customer_id", flat=True).get(pk=profile.pk)


def checkout_session_create(*, organization: Organization, amount_micros: int, user, success_url: str, cancel_url: str) -> str:
    """Creates a Checkout Session (payment mode, USD) and returns its URL to redirect to."""
    _require_stripe()
    cents = topup_amount_validate(amount_micros=amount_micros)
    customer_id = stripe_customer_get_or_create(organization=organization)
    metadata = {"organization_id": organization.public_id, "purpose": TOPUP_PURPOSE, "amount_micros": str(amount_micros)}
    session = stripe_client().v1.checkout.sessions.create(
        {
            "mode": "payment",
            "customer": customer_id,
            "client_reference_id": organization.public_id,
            "line_items": [{
                "quantity": 1,
                "price_data": {"currency": "usd", "unit_amount": cents, "product_data": {"name": "Tollgate credits"}},
            }],
            "metadata": metadata,
            # Saves the card for auto-recharge; the metadata follows the payment to its charge.
            "payment_intent_data": {"setup_future_usage": "off_session", "metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
        },
        # One key per attempt: the library's own retries of this call reuse it.
        {"idempotency_key": f"checkout:{organization.public_id}:{uuid.uuid4().hex}"},
    )
    # get_or_create: a fast webhook may have recorded the paid session already.
    Payment.objects.get_or_create(
        stripe_checkout_session_id=session.id,
        defaults={"organization": organization, "amount_micros": amount_micros, "created_by": user},
    )
    return session.url
