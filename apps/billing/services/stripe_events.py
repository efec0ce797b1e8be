"""Stripe webhooks (dj-stripe's shape): verify the signature, store the raw event, then process
it in one transaction under the event row's lock. Every money effect is keyed twice: the event
row (unique Stripe event id) and the ledger entry's idempotency key (session, payment intent,
refund level, dispute), so any number of deliveries, in any order, credit once."""
from __future__ import annotations

import json
import logging
from typing import Any, Callable

import stripe
from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from apps.accounts.models import Organization
from apps.billing.lock_objects import balance_lock, stripe_event_lock
from apps.billing.models import BillingProfile, EntryKind, LedgerEntry, Payment, PaymentStatus, StripeEvent, StripeEventStatus
from apps.billing.services.auto_recharge import AUTO_RECHARGE_PURPOSE
from apps.billing.services.checkout import TOPUP_PURPOSE
from apps.billing.services.credits import credit_grant
from apps.billing.services.holds import balance_freeze_mark
from apps.billing.services.ledger import entry_append
from apps.billing.stripe_client import cents_to_micros

logger = logging.getLogger(__name__)

OUR_PURPOSES = frozenset({TOPUP_PURPOSE, AUTO_RECHARGE_PURPOSE})


class StripeEventError(Exception):
    """Processing cannot finish yet (e.g. an event arrived before the one it depends on):
    answer 5xx so Stripe delivers it again later."""


def stripe_event_receive(*, payload: bytes, signature: str) -> StripeEvent:
    """Verifies the signature (raises stripe.SignatureVerificationError / ValueError) and
    stores the raw event. Verification comes first so a forged body can never occupy a real
    event id."""
    stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET,
                                   tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS)
    data = json.loads(payload)
    event, _ = StripeEvent.objects.get_or_create(stripe_id=data["id"], defaults={"type": data["type"], "payload": data})
    return event


def stripe_event_process(*, event: StripeEvent) -> StripeEvent:
    """Applies the event once. On failure the error is recorded on the row (in its own
    transaction, after the rollback) and re-raised."""
    try:
        with transaction.atomic():
            locked = stripe_event_lock(stripe_id=event.stripe_id)
            if locked.status == StripeEventStatus.SUCCEEDED:
                return locked  # a replay: already applied and committed
            handler = HANDLERS.get(locked.type)
            if handler is not None:
                handler(locked.payload["data"]["object"])
            locked.status = StripeEventStatus.SUCCEEDED
            locked.attempts += 1
            locked.error = ""
            locked.processed_at = timezone.now()
            locked.save(update_fields=["status", "attempts", "error", "processed_at", "updated_at"])
            return locked
    except Exception as exc:
        StripeEvent.objects.filter(pk=event.pk).exclude(status=StripeEventStatus.SUCCEEDED).update(
            status=StripeEventStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], updated_at=timezone.now(),
        )
        StripeEvent.objects.filter(pk=event.pk).update(attempts=event.attempts + 1)
        raise


# --- where an object belongs ----------------------------------------------------------------------

def _is_ours(obj: dict) -> bool:
    return (obj.get("metadata") or {}).get("purpose") in OUR_PURPOSES


def _organization_from_metadata(obj: dict) -> Organization:
    public_id = (obj.get("metadata") or {}).get("organization_id")
    organization = Organization.objects.filter(public_id=public_id).first() if public_id else None
    if organization is None:
        raise StripeEventError(f"unknown organization {public_id!r} on {obj.get('id')}")
    return organization


def _organization_from_charge(*, charge_id: str, payment_intent_id: str | None, customer_id: str | None, metadata: dict | None) -> Organization:
    payment = None
    if payment_intent_id:
        payment = Payment.objects.select_related("organization").filter(stripe_payment_intent_id=payment_intent_id).first()
    if payment is None and charge_id:
        payment = Payment.objects.select_related("organization").filter(stripe_charge_id=charge_id).first()
    if payment is not None:
        return payment.organization
    if customer_id:
        profile = BillingProfile.objects.select_related("organization").filter(stripe_customer_id=customer_id).first()
        if profile is not None:
            return profile.organization
    return _organization_from_metadata({"id": charge_id, "metadata": metadata or {}})


# --- handlers -------------------------------------------------------------------------------------

def _topup_credit(*, organization: Organization, amount_cents: int, idempotency_key: str, stripe_id: str, reason: str) -> LedgerEntry:
    return credit_grant(
        organization=organization, amount_micros=cents_to_micros(amount_cents), kind=EntryKind.TOPUP,
        idempotency_key=idempotency_key, reason=reason, stripe_id=stripe_id,
    )


def _checkout_session_paid(session: dict) -> None:
    if not _is_ours(session) or session.get("payment_status") != "paid":
        return  # not ours, or an async payment still pending: its own event will follow
    if (session.get("currency") or "usd").lower() != "usd":
        raise StripeEventError(f"unexpected currency {session.get('currency')!r} on {session['id']}")
    organization = _organization_from_metadata(session)
    _topup_credit(
        organization=organization, amount_cents=session["amount_total"], idempotency_key=f"stripe_session:{session['id']}",
        stripe_id=session["id"], reason="Stripe Checkout top-up",
    )
    Payment.objects.update_or_create(
        stripe_checkout_session_id=session["id"],
        defaults={
            "organization": organization, "amount_micros": cents_to_micros(session["amount_total"]),
            "status": PaymentStatus.PAID, "paid_at": timezone.now(),
            "stripe_payment_intent_id": session.get("payment_intent") or None,
        },
    )


def _checkout_session_failed(session: dict) -> None:
    Payment.objects.filter(stripe_checkout_session_id=session["id"]).exclude(status=PaymentStatus.PAID).update(status=PaymentStatus.FAILED)


def _payment_intent_succeeded(intent: dict) -> None:
    metadata = intent.get("metadata") or {}
    if metadata.get("purpose") != AUTO_RECHARGE_PURPOSE:
        return  # Checkout payments are credited through their session
    organization = _organization_from_metadata(intent)
    _topup_credit(
        organization=organization, amount_cents=intent["amount_received"], idempotency_key=f"stripe_payment_intent:{intent['id']}",
        stripe_id=intent["id"], reason="Auto-recharge",
    )
    Payment.objects.update_or_create(
        stripe_payment_intent_id=intent["id"],
        defaults={
            "organization": organization, "amount_micros": cents_to_micros(intent["amount_received"]), "is_auto_recharge": True,
            "status": PaymentStatus.PAID, "paid_at": timezone.now(), "stripe_charge_id": intent.get("latest_charge") or "",
        },
    )


def _payment_intent_failed(intent: dict) -> None:
    if (intent.get("metadata") or {}).get("purpose") != AUTO_RECHARGE_PURPOSE:
        return
    organization = _organization_from_metadata(intent)
    error = ((intent.get("last_payment_error") or {}).get("message") or "payment failed")[:500]
    BillingProfile.objects.filter(organization=organization).update(auto_recharge_last_error=error)
    Payment.objects.filter(stripe_payment_intent_id=intent["id"]).exclude(status=PaymentStatus.PAID).update(status=PaymentStatus.FAILED)


def _charge_succeeded(charge: dict) -> None:
    """Records the receipt URL on the payment (for the dashboard's payments list)."""
    updated = Payment.objects.filter(stripe_payment_intent_id=charge.get("payment_intent")).update(
        stripe_charge_id=charge["id"], receipt_url=charge.get("receipt_url") or "", updated_at=timezone.now(),
    )
    if not updated and _is_ours(charge):
        raise StripeEventError(f"payment for {charge['id']} not recorded yet")


def _charge_refunded(charge: dict) -> None:
    """``amount_refunded`` is cumulative: debit the part not yet debited for this charge, so a
    late, older event changes nothing. Only this path (and disputes) may take credit below zero."""
    organization = _organization_from_charge(
        charge_id=charge["id"], payment_intent_id=charge.get("payment_intent"), customer_id=charge.get("customer"),
        metadata=charge.get("metadata"),
    )
    refunded_micros = cents_to_micros(charge["amount_refunded"])
    balance = balance_lock(organization_id=organization.pk)
    debited = -(LedgerEntry.objects.filter(organization=organization, kind=EntryKind.STRIPE_REFUND, stripe_id=charge["id"])
                .aggregate(total=Sum("amount_micros"))["total"] or 0)
    if refunded_micros > debited:
        entry_append(
            balance=balance, kind=EntryKind.STRIPE_REFUND, amount_micros=-(refunded_micros - debited),
            idempotency_key=f"stripe_refund:{charge['id']}:{charge['amount_refunded']}", stripe_id=charge["id"],
            reason="Refunded in Stripe",
        )


def _dispute_created(dispute: dict) -> None:
    organization = _organization_from_charge(
        charge_id=dispute.get("charge") or "", payment_intent_id=dispute.get("payment_intent"), customer_id=None,
        metadata=dispute.get("metadata"),
    )
    # Under the balance lock, mirrored onto the balance row: a hold waiting for it refuses the row.
    balance = balance_freeze_mark(organization_id=organization.pk, frozen=True)
    Organization.objects.filter(pk=organization.pk).update(
        is_frozen=True, frozen_reason=f"Payment dispute {dispute['id']} ({dispute.get('reason', '')})"[:200], updated_at=timezone.now(),
    )
    entry, created = entry_append(
        balance=balance, kind=EntryKind.DISPUTE, amount_micros=-cents_to_micros(dispute["amount"]),
        idempotency_key=f"stripe_dispute:{dispute['id']}", stripe_id=dispute["id"], reason="Disputed in Stripe",
        is_flagged=True,
    )
    if created:
        transaction.on_commit(lambda: mail_admins(
            f"Dispute on {organization.name}: organization frozen",
            f"Stripe dispute {dispute['id']} ({dispute.get('reason', '')}) on charge {dispute.get('charge')} of "
            f"{dispute['amount']} cents. Organization {organization.public_id} is frozen; the amount was debited.",
        ))


def _dispute_closed(dispute: dict) -> None:
    """A won dispute gives the money back; unfreezing stays a staff decision."""
    if dispute.get("status") != "won":
        return
    organization = _organization_from_charge(
        charge_id=dispute.get("charge") or "", payment_intent_id=dispute.get("payment_intent"), customer_id=None,
        metadata=dispute.get("metadata"),
    )
    balance = balance_lock(organization_id=organization.pk)
    entry_append(
        balance=balance, kind=EntryKind.DISPUTE, amount_micros=cents_to_micros(dispute["amount"]),
        idempotency_key=f"stripe_dispute:{dispute['id']}:won", stripe_id=dispute["id"], reason="Dispute won",
    )


HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "checkout.session.completed": _checkout_session_paid,
    "checkout.session.async_payment_succeeded": _checkout_session_paid,
    "checkout.session.async_payment_failed": _checkout_session_failed,
    "checkout.session.expired": _checkout_session_failed,
    "payment_intent.succeeded": _payment_intent_succeeded,
    "payment_intent.payment_failed": _payment_intent_failed,
    "charge.succeeded": _charge_succeeded,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
    "charge.dispute.closed": _dispute_closed,
}
