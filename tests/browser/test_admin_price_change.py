"""Staff change a model's price in the admin (in a real browser): a new quote uses the new
price, while a task submitted earlier keeps the price version it was charged with."""
from __future__ import annotations

import json

import httpx
import pytest

from apps.accounts.models import User
from apps.accounts.services import api_key_create, organization_create
from apps.billing.services import credit_grant
from apps.catalog.models import AiModel
from tests.browser.conftest import DESKTOP, shoot
from tests.browser.test_dashboard_journey import wait_finished

pytestmark = pytest.mark.browser
MODEL = "black-forest-labs/flux-1-schnell"


def test_staff_price_change_applies_to_new_quotes_only(engine, live_server, new_page):
    base = live_server.url
    owner = User.objects.create_user(email="dev@example.com", password="a long pass phrase 1")
    organization = organization_create(name="Pricing Co", owner=owner)
    credit_grant(organization=organization, amount_micros=50_000_000, kind="promotional", idempotency_key="p", reason="test")
    key = api_key_create(organization=organization, name="k", created_by=owner).secret
    headers = {"Authorization": f"Bearer {key}"}
    body = {"model": MODEL, "input": {"prompt": "a red fox in snow"}}

    before = httpx.post(f"{base}/v1/tasks", headers=headers, json={**body, "dry_run": True}, timeout=30).json()
    created = httpx.post(f"{base}/v1/tasks", headers=headers, json=body, timeout=30).json()
    earlier = wait_finished(created["id"])
    assert earlier.status == "succeeded"

    # A staff user edits the price in the admin, as a person would.
    User.objects.create_superuser(email="staff@example.com", password="a long pass phrase 1")
    page = new_page(DESKTOP)
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "staff@example.com")
    page.fill("#id_password", "a long pass phrase 1")
    page.click("input[type=submit]")
    row = AiModel.objects.get(model_id=MODEL)
    page.goto(f"{base}/admin/catalog/aimodel/{row.pk}/change/")
    page.fill("#id_new_price_rules", json.dumps([{"item": "image", "unit": "image", "usd": "0.5", "usage": "images"}]))
    shoot(page, "admin-price-edit")
    page.click("input[name=_save]")
    page.wait_for_url(f"{base}/admin/catalog/aimodel/")

    after = httpx.post(f"{base}/v1/tasks", headers=headers, json={**body, "dry_run": True}, timeout=30).json()
    assert after["price_version"] != before["price_version"]
    assert after["amount"] == "0.500000"
    assert after["amount"] != before["amount"]

    # The earlier task still shows (and was charged) its own price version and amount.
    shown = httpx.get(f"{base}/v1/tasks/{created['id']}", headers=headers, timeout=30).json()
    assert shown["price_version"] == before["price_version"]
    assert shown["cost"] == before["amount"]
