import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from apps.accounts.models import User
from apps.billing.checks import ledger_problems
from apps.billing.models import Balance, EntryKind, Hold, LedgerEntry
from apps.billing.services import credit_hold, hold_capture, hold_release
from apps.usage.services import usage_record_create
from tests.billing.conftest import USD, balance_tuple, checkout_session, event, fund


@pytest.fixture
def staff(db):
    return User.objects.create_user(email="finance@example.com", password="x" * 12, is_staff=True)


def adjust_url(organization):
    return f"/admin/billing/balance/{organization.pk}/adjust/"


def test_adjustment_needs_the_finance_permission(client, staff, organization):
    client.force_login(staff)

    response = client.post(adjust_url(organization), {"amount_usd": "5", "reason": "goodwill", "nonce": "n1"})

    assert response.status_code == 403
    assert LedgerEntry.objects.count() == 0


def test_finance_staff_adjust_credit_with_a_reason_once(client, staff, organization):
    staff.user_permissions.add(Permission.objects.get(codename="adjust_credit", content_type__app_label="billing"))
    client.force_login(staff)
    assert client.get(adjust_url(organization)).status_code == 200

    for _ in range(2):  # a double-submitted form
        response = client.post(adjust_url(organization), {"amount_usd": "12.50", "reason": "goodwill", "nonce": "n1"})

    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount_micros, entry.reason, entry.actor) == ("adjustment", 12_500_000, "goodwill", staff)
    assert balance_tuple(organization) == (12_500_000, 0)


def test_adjustment_without_reason_writes_nothing(client, organization):
    admin = User.objects.create_superuser(email="root@example.com", password="x" * 12)
    client.force_login(admin)

    response = client.post(adjust_url(organization), {"amount_usd": "-1", "reason": "", "nonce": "n2"})

    assert response.status_code == 200
    assert LedgerEntry.objects.count() == 0


def test_ledger_admin_pages_are_read_only(client, organization):
    admin = User.objects.create_superuser(email="root@example.com", password="x" * 12)
    client.force_login(admin)
    entry = fund(organization, 1 * USD)

    assert client.get("/admin/billing/ledgerentry/?kind=promotional").status_code == 200
    assert client.get("/admin/billing/balance/").status_code == 200
    assert client.get("/admin/billing/stripeevent/").status_code == 200
    assert client.post(f"/admin/billing/ledgerentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_check_ledger_is_clean_after_every_kind_of_operation(organization, api_key, post_event, capsys):
    key = api_key[0]
    fund(organization, 10 * USD)
    post_event(event("evt_1", "checkout.session.completed", checkout_session(organization, cents=2_000)))
    post_event(event("evt_1", "checkout.session.completed", checkout_session(organization, cents=2_000)))
    for task_id, cost in (("done", 700_000), ("over", 3 * USD)):
        credit_hold(organization=organization, api_key=key, task_id=task_id, amount_micros=1 * USD)
        captured = hold_capture(task_id=task_id, amount_micros=cost).captured_micros
        usage_record_create(task_id=task_id, organization=organization, api_key=key, model_id="m", price_version_id=None,
                            quantities={}, cost_micros=captured, processing_ms=1, output_bytes=1, status="succeeded")
    credit_hold(organization=organization, api_key=key, task_id="failed", amount_micros=1 * USD)
    hold_release(task_id="failed", reason="provider error")
    credit_hold(organization=organization, api_key=key, task_id="running", amount_micros=2 * USD)
    post_event(event("evt_r", "charge.refunded", {"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": 500, "metadata": {}}))

    call_command("check_ledger")

    assert capsys.readouterr().out.strip() == "ledger consistent"
    assert balance_tuple(organization) == (10 * USD + 20 * USD - 3_700_000 - 5 * USD, 2 * USD)


@pytest.mark.ledger_corrupted
def test_check_ledger_reports_differences(organization, api_key, capsys, settings):
    settings.TOLLGATE_FINISHED_TASKS_CHECK = "apps.usage.selectors.finished_task_ids"  # no task rows here
    fund(organization, 10 * USD)
    credit_hold(organization=organization, api_key=api_key[0], task_id="finished", amount_micros=1 * USD)
    usage_record_create(task_id="finished", organization=organization, api_key=api_key[0], model_id="m", price_version_id=None,
                        quantities={}, cost_micros=0, processing_ms=1, output_bytes=1, status="succeeded")
    Balance.objects.filter(organization=organization).update(balance_micros=F("balance_micros") + 1)

    with pytest.raises(CommandError):
        call_command("check_ledger")

    assert capsys.readouterr().out.splitlines() == [
        f"organization {organization.pk}: balance {10 * USD + 1} != sum of entries {10 * USD}",
        "task finished: finished but its hold is still open",
    ]


@pytest.mark.ledger_corrupted
def test_check_ledger_flags_old_open_holds_and_double_resolutions(organization, api_key, settings):
    from datetime import timedelta

    from django.utils import timezone

    fund(organization, 10 * USD)
    credit_hold(organization=organization, api_key=api_key[0], task_id="stale", amount_micros=1)
    Hold.objects.filter(task_id="stale").update(created_at=timezone.now() - timedelta(days=2))
    LedgerEntry.objects.bulk_create([LedgerEntry(organization=organization, kind=EntryKind.CAPTURE, amount_micros=0,
                                                 idempotency_key="stray", task_id="ghost")])

    problems = ledger_problems(finished_tasks_check=lambda ids: set())

    assert problems[0].startswith("task stale: hold open since ")
    assert problems[1:] == ["task ghost: ledger entries without a hold"]
