"""Sign-up → organization → credit → key → a task through the HTTP API appears on the
dashboard with its cost and output preview; a member cannot reach billing."""
from __future__ import annotations

import time

import httpx
import pytest

from apps.accounts.models import Membership, Organization, Role, User
from tests.browser.conftest import DESKTOP, PHONE, shoot

pytestmark = pytest.mark.browser

PASSWORD = "a long pass phrase 1"


def sign_up(page, base: str, email: str) -> None:
    page.goto(f"{base}/signup/")
    page.fill("#id_email", email)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/organizations/new/")


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def wait_finished(task_id: str, timeout: float = 30.0):
    from django.db import OperationalError

    from apps.tasks.models import Task

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            task = Task.objects.get(public_id=task_id)
        except OperationalError:  # SQLite's shared in-memory test DB: "table is locked" while the worker writes
            task = None
        if task is not None and task.is_finished:
            return task
        time.sleep(0.1)
    raise AssertionError(f"{task_id} did not finish")


def test_onboarding_to_first_task_on_the_dashboard(engine, live_server, new_page):
    from apps.billing.services import credit_grant

    base = live_server.url
    page = new_page(DESKTOP)
    sign_up(page, base, "founder@example.com")
    shoot(page, "organization-create")
    page.fill("#id_name", "Acme Labs")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert page.locator("#onboarding").is_visible()
    shoot(page, "overview-onboarding")

    # Stripe is not configured here: staff grant the demo credit.
    organization = Organization.objects.get(name="Acme Labs")
    credit_grant(organization=organization, amount_micros=10_000_000, kind="promotional", idempotency_key="demo", reason="demo credit")
    page.goto(f"{base}/billing/")
    assert "staff grant credits in the admin" in page.inner_text("#topup-not-configured")

    page.goto(f"{base}/keys/")
    page.fill("#id_name", "backend")
    page.click("main form button[type=submit]")
    secret = page.inner_text("#new-key-value").strip()
    assert secret.startswith("tg_")
    assert "from openai import OpenAI" in page.content()
    shoot(page, "key-created")

    response = httpx.post(f"{base}/v1/tasks", headers={"Authorization": f"Bearer {secret}"},
                          json={"model": "black-forest-labs/flux-1-schnell", "input": {"prompt": "a red fox in snow"}}, timeout=30)
    assert response.status_code in (200, 201, 202), response.text
    task = wait_finished(response.json()["id"])
    assert task.status == "succeeded", (task.error_code, task.error_message)

    page.goto(f"{base}/tasks/")
    row = page.locator(f"a[href='/tasks/{task.public_id}/']")
    assert row.count() == 1
    assert "black-forest-labs/flux-1-schnell" in page.inner_text("table.tasks")
    shoot(page, "tasks")

    row.click()
    page.wait_for_url(f"{base}/tasks/{task.public_id}/")
    image = page.locator(".output img").first
    image.wait_for()
    page.wait_for_function("() => { const i = document.querySelector('.output img'); return i && i.complete && i.naturalWidth > 0; }")
    from apps.core.money import micros_to_display

    assert micros_to_display(task.cost_micros) in page.inner_text("#task-status")
    shoot(page, "task-detail")

    page.goto(f"{base}/")
    assert page.locator("#onboarding").count() == 0  # credit, key and first task: done
    assert task.public_id[:12] in page.content()
    shoot(page, "overview")

    for name, path in [("usage", "/usage/"), ("billing", "/billing/"), ("models", "/catalog/"),
                       ("model-detail", "/catalog/openai/gpt-4/"), ("playground", "/playground/?model=openai/gpt-4"),
                       ("members", "/members/")]:
        page.goto(base + path)
        assert page.locator("main h1").count() >= 1
        shoot(page, name)

    phone = new_page(PHONE)
    log_in(phone, base, "founder@example.com")
    for name, path in [("overview", "/"), ("tasks", "/tasks/"), ("task-detail", f"/tasks/{task.public_id}/"),
                       ("usage", "/usage/"), ("billing", "/billing/"), ("keys", "/keys/"), ("models", "/catalog/"),
                       ("playground", "/playground/?model=openai/gpt-4"), ("members", "/members/")]:
        phone.goto(base + path)
        # Nothing wider than the phone: tables scroll inside their wrapper, not the page.
        overflow = phone.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} overflows the phone width by {overflow}px"
        shoot(phone, name)


def test_playground_run_shows_the_output_live(engine, live_server, new_page):
    from apps.billing.services import credit_grant

    owner = User.objects.create_user(email="player@example.com", password=PASSWORD)
    from apps.accounts.services import organization_create

    organization = organization_create(name="Player Co", owner=owner)
    credit_grant(organization=organization, amount_micros=5_000_000, kind="promotional", idempotency_key="demo", reason="demo")
    page = new_page(DESKTOP)
    log_in(page, live_server.url, "player@example.com")
    page.goto(f"{live_server.url}/playground/?model=openai/gpt-4")
    page.fill("#id_p-messages", "Say hello")
    page.click("button[value=run]")
    page.locator("#task-outputs .output").first.wait_for(timeout=30_000)
    assert "succeeded" in page.inner_text("#task-status")
    assert "/v1/tasks" in page.inner_text("#curl")
    shoot(page, "playground-result")


def test_member_without_billing_rights_gets_403(engine, live_server, new_page):
    from apps.accounts.services import organization_create

    owner = User.objects.create_user(email="boss@example.com", password=PASSWORD)
    organization = organization_create(name="Boss Co", owner=owner)
    member = User.objects.create_user(email="helper@example.com", password=PASSWORD)
    Membership.objects.create(user=member, organization=organization, role=Role.MEMBER)
    page = new_page(PHONE)
    log_in(page, live_server.url, "helper@example.com")
    assert page.locator("header nav a[href='/billing/']").count() == 0
    response = page.goto(f"{live_server.url}/billing/")
    assert response.status == 403
    assert "Not allowed" in page.inner_text("main h1")
    shoot(page, "billing-forbidden")
