"""Writes of the billing area. Every credit operation is named ``credit_*`` / ``hold_*``."""
from apps.billing.services.auto_recharge import auto_recharge_charge, auto_recharge_settings_update
from apps.billing.services.checkout import checkout_session_create, stripe_customer_get_or_create
from apps.billing.services.credits import credit_grant
from apps.billing.services.holds import (
    CaptureResult, HoldFacts, HoldTerms, balance_freeze_mark, credit_hold, hold_capture, hold_refusal, hold_release,
    hold_terms, USUAL_TERMS,
)
from apps.billing.services.stripe_events import stripe_event_process, stripe_event_receive
from apps.billing.stripe_client import stripe_is_configured

__all__ = [
    "CaptureResult", "HoldFacts", "HoldTerms", "auto_recharge_charge", "auto_recharge_settings_update", "balance_freeze_mark",
    "checkout_session_create", "credit_grant", "credit_hold", "hold_capture", "hold_refusal", "hold_release",
    "hold_terms", "USUAL_TERMS", "stripe_customer_get_or_create", "stripe_event_process", "stripe_event_receive", "stripe_is_configured",
]
