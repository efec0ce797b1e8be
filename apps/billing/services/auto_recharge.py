"""Auto-recharge: when available credit falls below the organization's threshold, charge its
saved card off-session. One charge at a time per organization, then a cooldown: the
``auto_recharge_started_at`` compare-and-set is the flag. Credit arrives through the webhook
(payment_intent.succeeded), like every other top-up."""
from __future__ import annotations

import logging
from datetime import timedelta

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Organization
from apps.billing.models import BillingProfile, Payment
from apps.billing.services.checkout import stripe_customer_get_or_create, topup_amount_validate
from apps.billing.stripe_client import stripe_client, stripe_is_configured
from apps.core.errors import ApplicationError

logger = logging.getLogger(__name__)

AUTO_RECHARGE_PURPOSE = "auto_recharge"
THRESHOLD_NEGATIVE = "The threshold must not be negative."
NO_PAYMENT_METHOD = "No saved payment method: make one top-up first."


def auto_recharge_settings_update(*, organization: Organization, enabled: bool, threshold_micros: int, amount_micros: int) -> BillingProfile:
    if enabled:
        topup_amount_validate(amount_micros=amount_micros)
    if threshold_micros < 0:
        raise ApplicationError(THRESHOLD_NEGATIVE, code="invalid_value", param="threshold")
    profile, _ = BillingProfile.objects.get_or_create(organization=organization)
    profile.auto_recharge_enabled = enabled
    profile.auto_recharge_threshold_micros = threshold_micros
    profile.auto_recharge_amount_micros = amount_micros
    profile.full_clean()
    profile.save(update_fields=["auto_recharge_enabled", "auto_recharge_threshold_micros", "auto_recharge_amount_micros", "updated_at"])
    return profile


def auto_recharge_schedule_if_low(*, organization: Organization, available_micros: int) -> None:
    """Called after a hold: one cheap query, and the charge itself runs in a worker after commit."""
    if not stripe_is_configured():
        return
    is_low = BillingProfile.objects.filter(
        organization=organization, auto_recharge_enabled=True, auto_recharge_threshold_micros__gt=available_micros,
    ).exists()
    if is_low:
        from apps.billing.actors import auto_recharge_run

        transaction.on_commit(lambda: auto_recharge_run.send(organization.pk))


def auto_recharge_charge(*, organization_id: int) -> Payment | None:
    """Starts one off-session charge if still needed and none started within the cooldown."""
    from apps.billing.selectors import balance_get

    now = timezone.now()
    cooldown_start = now - timedelta(seconds=settings.TOLLGATE_AUTO_RECHARGE_COOLDOWN_SECONDS)
    profile = BillingProfile.objects.select_related("organization").filter(organization_id=organization_id).first()
    if profile is None or not profile.auto_recharge_enabled:
        return None
    if balance_get(organization=profile.organization).available_micros >= profile.auto_recharge_threshold_micros:
        return None
    claimed = BillingProfile.objects.filter(pk=profile.pk).filter(
        Q(auto_recharge_started_at__isnull=True) | Q(auto_recharge_started_at__lt=cooldown_start)
    ).update(auto_recharge_started_at=now)
    if not claimed:
        return None  # another charge is in flight or recent
    organization = profile.organization
    client = stripe_client()
    try:
        customer_id = stripe_customer_get_or_create(organization=organization)
        payment_method = profile.stripe_payment_method_id or _first_card(client, customer_id)
        amount_micros = profile.auto_recharge_amount_micros
        metadata = {"organization_id": organization.public_id, "purpose": AUTO_RECHARGE_PURPOSE, "amount_micros": str(amount_micros)}
        intent = client.v1.payment_intents.create(
            {
                "amount": topup_amount_validate(amount_micros=amount_micros), "currency": "usd",
                "customer": customer_id, "payment_method": payment_method,
                "off_session": True, "confirm": True, "metadata": metadata,
            },
            {"idempotency_key": f"auto_recharge:{organization.public_id}:{int(now.timestamp())}"},
        )
    except (stripe.StripeError, ApplicationError) as exc:
        message = getattr(exc, "user_message", None) or str(exc)
        BillingProfile.objects.filter(pk=profile.pk).update(auto_recharge_last_error=message[:500])
        logger.warning("auto-recharge failed", extra={"organization_id": organization.public_id, "error": message})
        return None
    BillingProfile.objects.filter(pk=profile.pk).update(auto_recharge_last_error="")
    payment, _ = Payment.objects.get_or_create(
        stripe_payment_intent_id=intent.id,
        defaults={"organization": organization, "amount_micros": amount_micros, "is_auto_recharge": True},
    )
    return payment


def _first_card(client: stripe.StripeClient, customer_id: str) -> str:
    methods = client.v1.customers.payment_methods.list(customer_id, {"limit": 1})
    if not methods.data:
        raise ApplicationError(NO_PAYMENT_METHOD, code="no_payment_method")
    return methods.data[0].id
