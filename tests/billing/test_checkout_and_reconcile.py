from urllib.parse import parse_qs

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.billing.models import BillingProfile, Payment
from apps.billing.services import auto_recharge_charge, auto_recharge_settings_update, checkout_session_create, stripe_is_configured
from apps.billing.services.checkout import STRIPE_NOT_CONFIGURED
from apps.core.errors import ApplicationError
from tests.billing.conftest import USD, checkout_session, event, fund
from tests.providers.fakes.server import FakeServer, Reply


@pytest.fixture
def fake_stripe(stripe_settings):
    with FakeServer() as server:
        server.route("POST", r"/v1/customers", lambda r: Reply.json({"id": "cus_1", "object": "customer"}))
        server.route("POST", r"/v1/checkout/sessions", lambda r: Reply.json({
            "id": f"cs_test_{len(server.requests) - 1}", "object": "checkout.session",
            "url": f"https://checkout.stripe.com/c/pay/cs_test_{len(server.requests) - 1}"}))
        stripe_settings.STRIPE_API_BASE = server.url
        yield server


def form(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}


def test_checkout_session_create_sends_the_exact_params(organization, user, fake_stripe):
    url = checkout_session_create(organization=organization, amount_micros=25 * USD, user=user,
                                  success_url="https://app.example/ok", cancel_url="https://app.example/cancel")

    assert url == "https://checkout.stripe.com/c/pay/cs_test_1"
    customer_call, session_call = fake_stripe.requests
    assert form(customer_call) == {"name": "Acme", "metadata[organization_id]": organization.public_id}
    assert customer_call.headers["idempotency-key"] == f"customer:{organization.public_id}"
    params = form(session_call)
    assert params == {
        "mode": "payment", "customer": "cus_1", "client_reference_id": organization.public_id,
        "line_items[0][quantity]": "1", "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "2500", "line_items[0][price_data][product_data][name]": "Tollgate credits",
        "metadata[organization_id]": organization.public_id, "metadata[purpose]": "topup", "metadata[amount_micros]": "25000000",
        "payment_intent_data[setup_future_usage]": "off_session",
        "payment_intent_data[metadata][organization_id]": organization.public_id,
        "payment_intent_data[metadata][purpose]": "topup", "payment_intent_data[metadata][amount_micros]": "25000000",
        "success_url": "https://app.example/ok", "cancel_url": "https://app.example/cancel",
    }
    assert session_call.headers["idempotency-key"].startswith(f"checkout:{organization.public_id}:")
    assert BillingProfile.objects.get(organization=organization).stripe_customer_id == "cus_1"
    payment = Payment.objects.get()
    assert (payment.stripe_checkout_session_id, payment.amount_micros, payment.status) == ("cs_test_1", 25 * USD, "pending")


def test_second_checkout_reuses_the_customer(organization, user, fake_stripe):
    for _ in range(2):
        checkout_session_create(organization=organization, amount_micros=10 * USD, user=user, success_url="https://a/s", cancel_url="https://a/c")

    assert [r.path for r in fake_stripe.requests] == ["/v1/customers", "/v1/checkout/sessions", "/v1/checkout/sessions"]


@pytest.mark.parametrize("amount", [4_990_000, 1_000_000_001, 10_000_001])
def test_checkout_amount_outside_bounds_or_cents_calls_nothing(organization, user, fake_stripe, amount):
    with pytest.raises(ApplicationError) as raised:
        checkout_session_create(organization=organization, amount_micros=amount, user=user, success_url="https://a/s", cancel_url="https://a/c")

    assert raised.value.param == "amount"
    assert fake_stripe.requests == []
    assert not Payment.objects.exists()


def test_without_a_stripe_key_top_up_is_not_configured(organization, user, settings):
    settings.STRIPE_SECRET_KEY = ""

    assert stripe_is_configured() is False
    with pytest.raises(ApplicationError) as raised:
        checkout_session_create(organization=organization, amount_micros=10 * USD, user=user, success_url="https://a/s", cancel_url="https://a/c")
    assert raised.value.message == STRIPE_NOT_CONFIGURED


def sessions_list(sessions):
    return lambda r: Reply.json({"object": "list", "url": "/v1/checkout/sessions", "has_more": False, "data": sessions})


def intents_list(intents):
    return lambda r: Reply.json({"object": "list", "url": "/v1/payment_intents", "has_more": False, "data": intents})


def auto_recharge_intent(organization, intent_id="pi_auto_1", cents=2_000, purpose="auto_recharge"):
    return {"id": intent_id, "object": "payment_intent", "status": "succeeded", "amount": cents,
            "amount_received": cents, "currency": "usd", "customer": "cus_1", "latest_charge": f"ch_{intent_id}",
            "metadata": {"organization_id": organization.public_id, "purpose": purpose}}


def test_reconcile_agrees_after_the_webhook(organization, fake_stripe, post_event, capsys):
    session = {**checkout_session(organization, cents=2_000), "status": "complete"}
    fake_stripe.route("GET", r"/v1/checkout/sessions", sessions_list([session]))
    fake_stripe.route("GET", r"/v1/payment_intents", intents_list([]))
    post_event(event("evt_1", "checkout.session.completed", session))

    call_command("reconcile_stripe")

    assert "Stripe and the ledger agree" in capsys.readouterr().out
    listed = {r.path: form_query(r) for r in fake_stripe.requests if r.method == "GET"}
    assert listed == {"/v1/checkout/sessions": {"limit": "100", "status": "complete"},
                      "/v1/payment_intents": {"limit": "100"}}


def test_reconcile_covers_auto_recharge_payments(organization, fake_stripe, post_event, capsys):
    """An off-session auto-recharge is credited by its payment_intent.succeeded webhook: a lost
    webhook shows up; a Checkout payment's own PaymentIntent is not counted twice."""
    fake_stripe.route("GET", r"/v1/checkout/sessions", sessions_list([]))
    paid = auto_recharge_intent(organization)
    checkout_pi = auto_recharge_intent(organization, intent_id="pi_checkout", purpose="")
    fake_stripe.route("GET", r"/v1/payment_intents", intents_list([paid, checkout_pi]))

    with pytest.raises(CommandError):
        call_command("reconcile_stripe")
    assert capsys.readouterr().out.splitlines() == [
        f"pi_auto_1: paid 20000000 micro-USD for {organization.public_id} in Stripe, not credited"]

    post_event(event("evt_pi", "payment_intent.succeeded", paid))
    call_command("reconcile_stripe")
    assert "Stripe and the ledger agree" in capsys.readouterr().out


def form_query(request) -> dict[str, str]:
    return {k: v[0] for k, v in request.query.items()}


def test_reconcile_reports_missing_and_unknown_credits(organization, fake_stripe, post_event, capsys):
    credited = {**checkout_session(organization, session_id="cs_credited", cents=1_000), "status": "complete"}
    post_event(event("evt_1", "checkout.session.completed", credited))
    missing = {**checkout_session(organization, session_id="cs_missing", cents=3_000, pi="pi_2"), "status": "complete"}
    fake_stripe.route("GET", r"/v1/checkout/sessions", sessions_list([missing]))
    fake_stripe.route("GET", r"/v1/payment_intents", intents_list([]))

    with pytest.raises(CommandError):
        call_command("reconcile_stripe")

    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"cs_missing: paid 30000000 micro-USD for {organization.public_id} in Stripe, not credited",
        f"cs_credited: credited 10000000 micro-USD to {organization.public_id}, no paid session in Stripe",
    ]


def test_auto_recharge_charges_off_session_once_within_the_cooldown(organization, fake_stripe):
    fake_stripe.route("GET", r"/v1/customers/cus_1/payment_methods", lambda r: Reply.json(
        {"object": "list", "url": "/v1/customers/cus_1/payment_methods", "has_more": False, "data": [{"id": "pm_1", "object": "payment_method"}]}))
    fake_stripe.route("POST", r"/v1/payment_intents", lambda r: Reply.json({"id": "pi_auto", "object": "payment_intent", "status": "succeeded"}))
    fund(organization, 1 * USD)
    auto_recharge_settings_update(organization=organization, enabled=True, threshold_micros=5 * USD, amount_micros=20 * USD)

    payment = auto_recharge_charge(organization_id=organization.pk)
    again = auto_recharge_charge(organization_id=organization.pk)

    assert (payment.stripe_payment_intent_id, payment.amount_micros, payment.is_auto_recharge) == ("pi_auto", 20 * USD, True)
    assert again is None
    intents = [r for r in fake_stripe.requests if r.path == "/v1/payment_intents"]
    assert len(intents) == 1
    assert form(intents[0]) == {
        "amount": "2000", "currency": "usd", "customer": "cus_1", "payment_method": "pm_1", "off_session": "true",
        "confirm": "true", "metadata[organization_id]": organization.public_id, "metadata[purpose]": "auto_recharge",
        "metadata[amount_micros]": "20000000",
    }


def test_auto_recharge_does_nothing_above_the_threshold(organization, fake_stripe):
    fund(organization, 10 * USD)
    auto_recharge_settings_update(organization=organization, enabled=True, threshold_micros=5 * USD, amount_micros=20 * USD)

    assert auto_recharge_charge(organization_id=organization.pk) is None
    assert fake_stripe.requests == []
