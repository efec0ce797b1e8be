import pytest
from django.core import mail

from apps.billing.models import BillingProfile, EntryKind, LedgerEntry, Payment, StripeEvent
from apps.billing.services import credit_hold
from apps.billing.services.holds import INSUFFICIENT_CREDITS_MESSAGE
from apps.core.errors import ApplicationError
from tests.billing.conftest import USD, balance_tuple, checkout_session, event, fund


def topups(organization):
    return list(LedgerEntry.objects.filter(organization=organization, kind=EntryKind.TOPUP).values_list("amount_micros", "stripe_id"))


def test_paid_checkout_credits_once_however_often_it_arrives(organization, post_event):
    completed = event("evt_1", "checkout.session.completed", checkout_session(organization, cents=2_000))

    responses = [post_event(completed) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert responses[0].json() == {"received": True, "id": "evt_1", "status": "succeeded"}
    assert topups(organization) == [(20 * USD, "cs_test_1")]
    assert balance_tuple(organization) == (20 * USD, 0)
    payment = Payment.objects.get(stripe_checkout_session_id="cs_test_1")
    assert (payment.status, payment.amount_micros, payment.stripe_payment_intent_id) == ("paid", 20 * USD, "pi_1")


def test_async_success_and_completed_for_one_session_credit_once_in_any_order(organization, post_event):
    session = checkout_session(organization, cents=1_000)
    async_succeeded = event("evt_2", "checkout.session.async_payment_succeeded", session)
    completed_paid = event("evt_1", "checkout.session.completed", session)

    assert post_event(async_succeeded).status_code == 200
    assert post_event(completed_paid).status_code == 200
    assert post_event(async_succeeded).status_code == 200

    assert topups(organization) == [(10 * USD, "cs_test_1")]
    assert StripeEvent.objects.filter(status="succeeded").count() == 2


def test_unpaid_completed_session_credits_nothing_until_async_success(organization, post_event):
    pending = checkout_session(organization, cents=1_000, payment_status="unpaid")

    post_event(event("evt_1", "checkout.session.completed", pending))
    assert topups(organization) == []

    post_event(event("evt_2", "checkout.session.async_payment_succeeded", {**pending, "payment_status": "paid"}))
    assert topups(organization) == [(10 * USD, "cs_test_1")]


def test_missing_signature_is_rejected_and_nothing_stored(client, stripe_settings, organization):
    response = client.post("/webhooks/stripe", data=b"{}", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "missing_signature"
    assert StripeEvent.objects.count() == 0


def test_bad_signature_is_rejected_and_nothing_credited(organization, post_event):
    response = post_event(event("evt_1", "checkout.session.completed", checkout_session(organization)), secret="whsec_wrong")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert (StripeEvent.objects.count(), topups(organization)) == (0, [])


def test_failed_processing_answers_500_records_the_error_and_retries(organization, post_event, monkeypatch):
    from apps.billing.services import stripe_events

    completed = event("evt_1", "checkout.session.completed", checkout_session(organization))

    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(stripe_events, "credit_grant", broken)
    response = post_event(completed)

    assert response.status_code == 500
    row = StripeEvent.objects.get(stripe_id="evt_1")
    assert (row.status, row.error, row.attempts) == ("failed", "RuntimeError: database hiccup", 1)
    assert topups(organization) == []
    assert not Payment.objects.exists()

    monkeypatch.undo()
    assert post_event(completed).status_code == 200
    assert StripeEvent.objects.get(stripe_id="evt_1").status == "succeeded"
    assert topups(organization) == [(20 * USD, "cs_test_1")]


def test_event_for_an_unknown_organization_fails_for_retry(organization, post_event):
    session = checkout_session(organization)
    session["metadata"]["organization_id"] = "org_missing"

    assert post_event(event("evt_1", "checkout.session.completed", session)).status_code == 500
    assert StripeEvent.objects.get(stripe_id="evt_1").status == "failed"


def test_events_of_other_integrations_are_acknowledged_and_ignored(organization, post_event):
    foreign = {**checkout_session(organization), "metadata": {}}

    assert post_event(event("evt_1", "checkout.session.completed", foreign)).status_code == 200
    assert post_event(event("evt_2", "customer.created", {"id": "cus_9"})).status_code == 200
    assert topups(organization) == []


def charge(*, refunded_cents: int) -> dict:
    return {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "customer": "cus_1", "amount": 2_000,
            "amount_refunded": refunded_cents, "metadata": {}}


def test_refunds_debit_each_refunded_cent_once_and_can_go_negative(organization, api_key, post_event):
    post_event(event("evt_1", "checkout.session.completed", checkout_session(organization, cents=2_000)))
    fund(organization, 1 * USD, key="promo")
    credit_hold(organization=organization, api_key=api_key[0], task_id="t", amount_micros=15 * USD)

    post_event(event("evt_r2", "charge.refunded", charge(refunded_cents=2_000)))
    post_event(event("evt_r1", "charge.refunded", charge(refunded_cents=500)))  # older, arrives late
    post_event(event("evt_r2", "charge.refunded", charge(refunded_cents=2_000)))

    refunds = list(LedgerEntry.objects.filter(kind=EntryKind.STRIPE_REFUND).values_list("amount_micros", flat=True))
    assert refunds == [-20 * USD]
    assert balance_tuple(organization) == (1 * USD, 15 * USD)  # available −14: only Stripe can do that
    with pytest.raises(ApplicationError) as raised:
        credit_hold(organization=organization, api_key=api_key[0], task_id="next", amount_micros=0)
    assert (raised.value.status, raised.value.message) == (402, INSUFFICIENT_CREDITS_MESSAGE)


def test_partial_refunds_in_order_debit_the_difference(organization, post_event):
    post_event(event("evt_1", "checkout.session.completed", checkout_session(organization, cents=2_000)))

    post_event(event("evt_r1", "charge.refunded", charge(refunded_cents=500)))
    post_event(event("evt_r2", "charge.refunded", charge(refunded_cents=1_200)))

    refunds = list(LedgerEntry.objects.filter(kind=EntryKind.STRIPE_REFUND).order_by("pk").values_list("amount_micros", flat=True))
    assert refunds == [-5 * USD, -7 * USD]
    assert balance_tuple(organization) == (8 * USD, 0)


def test_dispute_freezes_debits_and_tells_staff_once(organization, post_event, settings, django_capture_on_commit_callbacks):
    settings.ADMINS = [("Finance", "finance@example.com")]
    post_event(event("evt_1", "checkout.session.completed", checkout_session(organization, cents=2_000)))
    dispute = {"id": "dp_1", "object": "dispute", "charge": "ch_1", "payment_intent": "pi_1", "amount": 2_000,
               "reason": "fraudulent", "status": "needs_response"}

    with django_capture_on_commit_callbacks(execute=True):
        post_event(event("evt_d", "charge.dispute.created", dispute))
        post_event(event("evt_d", "charge.dispute.created", dispute))

    organization.refresh_from_db()
    assert (organization.is_frozen, organization.frozen_reason) == (True, "Payment dispute dp_1 (fraudulent)")
    assert balance_tuple(organization) == (0, 0)
    assert len(mail.outbox) == 1
    assert "frozen" in mail.outbox[0].subject

    post_event(event("evt_w", "charge.dispute.closed", {**dispute, "status": "won"}))
    assert balance_tuple(organization) == (20 * USD, 0)


def test_dispute_before_its_payment_is_known_is_retried(organization, post_event):
    dispute = {"id": "dp_1", "charge": "ch_9", "payment_intent": "pi_9", "amount": 100, "reason": "general"}

    assert post_event(event("evt_d", "charge.dispute.created", dispute)).status_code == 500
    organization.refresh_from_db()
    assert organization.is_frozen is False


def test_charge_succeeded_records_the_receipt(organization, post_event):
    post_event(event("evt_1", "checkout.session.completed", checkout_session(organization)))

    post_event(event("evt_c", "charge.succeeded", {"id": "ch_1", "payment_intent": "pi_1", "receipt_url": "https://pay.stripe.com/receipts/r1", "metadata": {}}))

    assert Payment.objects.get().receipt_url == "https://pay.stripe.com/receipts/r1"


def test_auto_recharge_payment_intent_credits_once(organization, post_event):
    BillingProfile.objects.create(organization=organization, auto_recharge_enabled=True)
    intent = {"id": "pi_auto", "object": "payment_intent", "amount_received": 1_500, "latest_charge": "ch_a",
              "metadata": {"organization_id": organization.public_id, "purpose": "auto_recharge"}}

    post_event(event("evt_a", "payment_intent.succeeded", intent))
    post_event(event("evt_a", "payment_intent.succeeded", intent))
    post_event(event("evt_a2", "payment_intent.succeeded", intent))  # a re-sent copy under a new id

    assert topups(organization) == [(15 * USD, "pi_auto")]
    assert Payment.objects.get(stripe_payment_intent_id="pi_auto").is_auto_recharge is True
