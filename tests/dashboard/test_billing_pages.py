import pytest

from apps.dashboard.views.billing import NOT_CONFIGURED

pytestmark = pytest.mark.django_db


def test_member_cannot_reach_billing(member_client):
    for response in (member_client.get("/billing/"), member_client.post("/billing/top-up/", {"amount_usd": "20"}),
                     member_client.post("/billing/auto-recharge/", {"threshold_usd": "5", "amount_usd": "20"})):
        assert response.status_code == 403
        assert b"Not allowed" in response.content


def test_billing_without_stripe_says_staff_grant_credits(owner_client, settings):
    settings.STRIPE_SECRET_KEY = ""
    body = owner_client.get("/billing/").content.decode()
    assert NOT_CONFIGURED in body
    assert "No payments yet." in body and "No ledger entries" in body
    response = owner_client.post("/billing/top-up/", {"amount_usd": "20"}, follow=True)
    assert NOT_CONFIGURED in response.content.decode()


def test_ledger_lists_every_entry_of_this_organization_only(admin_user, organization, rival, grant_credit):
    from tests.dashboard.conftest import signed_in

    grant_credit(organization, 5_000_000, key="welcome")
    grant_credit(rival[0], 7_000_000, key="rival-welcome")
    body = signed_in(admin_user).get("/billing/").content.decode()
    assert "$5.00" in body and "Promotional grant" in body and "demo credit" in body
    assert "$7.00" not in body


def test_ledger_kind_filter(owner_client, organization, grant_credit):
    grant_credit(organization, 5_000_000)
    assert b"No ledger entries of this kind" in owner_client.get("/billing/?kind=capture").content
    assert b"Promotional grant" in owner_client.get("/billing/?kind=promotional").content


def test_topup_redirects_to_stripe_checkout(owner_client, organization, monkeypatch):
    calls = {}

    def fake_checkout(**kwargs):
        calls.update(kwargs)
        return "https://checkout.stripe.test/session"

    monkeypatch.setattr("apps.dashboard.views.billing.checkout_session_create", fake_checkout)
    monkeypatch.setattr("apps.dashboard.views.billing.stripe_is_configured", lambda: True)
    response = owner_client.post("/billing/top-up/", {"amount_usd": "25.50"})
    assert response.status_code == 302 and response["Location"] == "https://checkout.stripe.test/session"
    assert calls["amount_micros"] == 25_500_000 and calls["organization"] == organization
    assert calls["success_url"].endswith("/billing/?topup=success")


def test_auto_recharge_settings_saved(owner_client, organization, monkeypatch):
    from apps.billing.selectors import billing_profile_get

    monkeypatch.setattr("apps.dashboard.views.billing.stripe_is_configured", lambda: True)
    response = owner_client.post("/billing/auto-recharge/", {"enabled": "on", "threshold_usd": "5", "amount_usd": "20"})
    assert response.status_code == 302
    profile = billing_profile_get(organization=organization)
    assert (profile.auto_recharge_enabled, profile.auto_recharge_threshold_micros, profile.auto_recharge_amount_micros) == (True, 5_000_000, 20_000_000)


def test_auto_recharge_rejects_out_of_range_amount(owner_client, monkeypatch):
    monkeypatch.setattr("apps.dashboard.views.billing.stripe_is_configured", lambda: True)
    response = owner_client.post("/billing/auto-recharge/", {"enabled": "on", "threshold_usd": "5", "amount_usd": "1"})
    assert response.status_code == 400
    assert b"between" in response.content
