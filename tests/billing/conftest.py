"""Billing fixtures: funded organizations, signed Stripe events, a fake Stripe API."""
from __future__ import annotations

import json
import time

import pytest
import stripe

from apps.billing.models import Balance, LedgerEntry
from apps.billing.services import credit_grant
from apps.billing.stripe_client import cents_to_micros

WEBHOOK_SECRET = "whsec_test_secret"
USD = 1_000_000


def fund(organization, amount_micros: int, key: str = "fund") -> LedgerEntry:
    return credit_grant(organization=organization, amount_micros=amount_micros, kind="promotional",
                        idempotency_key=key, reason="test funds")


def balance_tuple(organization) -> tuple[int, int]:
    row = Balance.objects.filter(organization=organization).first()
    return (row.balance_micros, row.held_micros) if row else (0, 0)


def signed(event: dict, *, secret: str = WEBHOOK_SECRET) -> tuple[bytes, str]:
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=int(time.time()))
    return payload.encode(), header


def event(event_id: str, event_type: str, obj: dict) -> dict:
    return {"id": event_id, "object": "event", "type": event_type, "created": int(time.time()), "data": {"object": obj}}


def checkout_session(organization, *, session_id="cs_test_1", cents=2_000, payment_status="paid", pi="pi_1") -> dict:
    return {
        "id": session_id, "object": "checkout.session", "mode": "payment", "currency": "usd", "amount_total": cents,
        "payment_status": payment_status, "payment_intent": pi, "customer": "cus_1",
        "metadata": {"organization_id": organization.public_id, "purpose": "topup", "amount_micros": str(cents_to_micros(cents))},
    }


@pytest.fixture
def stripe_settings(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return settings


@pytest.fixture
def post_event(client, stripe_settings):
    def post(evt: dict, *, secret: str = WEBHOOK_SECRET):
        body, header = signed(evt, secret=secret)
        return client.post("/webhooks/stripe", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)

    return post
