"""Real concurrency on PostgreSQL: threads, each with its own connection, released together."""
from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connections
from django.test import Client

from apps.accounts.models import ApiKey, Organization, User
from apps.accounts.services import api_key_create, organization_create
from apps.billing.checks import ledger_problems
from apps.billing.models import EntryKind, LedgerEntry, StripeEvent
from apps.billing.services import credit_hold, hold_capture, hold_release
from apps.core.errors import ApplicationError
from tests.billing.conftest import USD, balance_tuple, checkout_session, event, fund, signed

from tests.concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]


def make_org() -> tuple[Organization, ApiKey]:
    owner = User.objects.create_user(email="race@example.com", password="x" * 12)
    organization = organization_create(name="Race", owner=owner)
    return organization, api_key_create(organization=organization, name="k", created_by=owner).api_key


def test_fifty_concurrent_holds_on_credit_for_ten():
    organization, key = make_org()
    fund(organization, 10 * USD)
    low_water = []
    stop = threading.Event()

    def watch_balance():
        while not stop.is_set():
            balance, held = balance_tuple(organization)
            low_water.append(min(balance, balance - held))
        connections.close_all()

    watcher = threading.Thread(target=watch_balance)
    watcher.start()

    def hold(i: int):
        return credit_hold(organization=organization, api_key=key, task_id=f"task_{i}", amount_micros=1 * USD)

    results = run_together(50, hold)
    stop.set()
    watcher.join()

    outcomes = Counter("accepted" if not isinstance(r, Exception) else (r.status, r.code) if isinstance(r, ApplicationError) else repr(r)
                       for r in results)
    assert outcomes == {"accepted": 10, (402, "insufficient_credits"): 40}
    assert balance_tuple(organization) == (10 * USD, 10 * USD)
    assert min(low_water) >= 0
    assert LedgerEntry.objects.filter(organization=organization, kind=EntryKind.HOLD).count() == 10
    assert ledger_problems(finished_tasks_check=lambda ids: set()) == []


def test_concurrent_replays_write_one_entry_each(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    organization, key = make_org()
    fund(organization, 10 * USD)
    credit_hold(organization=organization, api_key=key, task_id="cap", amount_micros=2 * USD)
    credit_hold(organization=organization, api_key=key, task_id="rel", amount_micros=3 * USD)
    body, header = signed(event("evt_same", "checkout.session.completed", checkout_session(organization, cents=500)))

    def replay(i: int):
        match i % 3:
            case 0:
                return hold_capture(task_id="cap", amount_micros=1 * USD)
            case 1:
                return hold_release(task_id="rel", reason="cancelled")
            case _:
                response = Client().post("/webhooks/stripe", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
                return response.status_code

    results = run_together(30, replay)

    assert [r for r in results if isinstance(r, Exception)] == []
    assert {r for i, r in enumerate(results) if i % 3 == 2} == {200}
    assert len({r for i, r in enumerate(results) if i % 3 == 0}) == 1  # every capture saw the same result
    counts = Counter(LedgerEntry.objects.filter(organization=organization).values_list("kind", flat=True))
    assert counts == {"promotional": 1, "hold": 2, "capture": 1, "release": 2, "topup": 1}
    assert StripeEvent.objects.get(stripe_id="evt_same").status == "succeeded"
    # 10 − 1 captured + 5 topped up; nothing held
    assert balance_tuple(organization) == (14 * USD, 0)
    assert ledger_problems(finished_tasks_check=lambda ids: set()) == []


def test_a_hold_waiting_for_the_balance_row_is_refused_by_a_freeze_committed_meanwhile():
    """The hold reads the freeze flag before it takes the lock; the freeze commits while the
    hold's UPDATE (sent with its COMMIT) waits for the row. The UPDATE re-checks the row itself
    (Balance.frozen), so the hold is refused as frozen and nothing of it stays."""
    from django.db import transaction

    from apps.billing.models import Hold
    from apps.dashboard.staff.services import organization_freeze

    organization, key = make_org()
    fund(organization, 10 * USD)
    locked, waiting = threading.Event(), threading.Event()

    def freeze():
        with transaction.atomic():
            organization_freeze(organization=organization, reason="chargeback")  # takes the balance row
            locked.set()
            waiting.wait(10)
            time.sleep(0.3)  # the hold's UPDATE is queued behind this lock by now
        connections.close_all()

    def hold():
        locked.wait(10)
        waiting.set()
        try:
            return credit_hold(organization=organization, api_key=key, task_id="late", amount_micros=1 * USD)
        except ApplicationError as refused:
            return refused
        finally:
            connections.close_all()

    freezer = threading.Thread(target=freeze)
    freezer.start()
    result = hold_in_thread(hold)
    freezer.join()

    assert isinstance(result, ApplicationError), result
    assert (result.status, result.code) == (403, "organization_frozen")
    assert not Hold.objects.filter(task_id="late").exists()
    assert balance_tuple(organization) == (10 * USD, 0)
    assert ledger_problems(finished_tasks_check=lambda ids: set()) == []


def hold_in_thread(work):
    box = []
    thread = threading.Thread(target=lambda: box.append(work()))
    thread.start()
    thread.join(30)
    return box[0]
