"""Ledger invariants, verified from the rows (``manage.py check_ledger``)."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.module_loading import import_string

from apps.billing.models import Balance, EntryKind, Hold, HoldState, LedgerEntry


def ledger_problems(*, finished_tasks_check=None, now=None) -> list[str]:
    """Every difference found, one sentence each; empty when the ledger is consistent.
    ``finished_tasks_check(task_ids) -> set`` says which tasks have ended (injectable)."""
    check = finished_tasks_check or import_string(settings.TOLLGATE_FINISHED_TASKS_CHECK)
    now = now or timezone.now()
    return [*_balance_problems(), *_open_hold_problems(check, now), *_resolution_problems()]


def _balance_problems() -> list[str]:
    problems = []
    sums = {row["organization_id"]: row for row in LedgerEntry.objects.values("organization_id").order_by()
            .annotate(amount=Sum("amount_micros"), held=Sum("held_delta_micros"))}
    open_holds = dict(Hold.objects.filter(state=HoldState.OPEN).values("organization_id").order_by()
                      .annotate(total=Sum("amount_micros")).values_list("organization_id", "total"))
    balances = {b.organization_id: b for b in Balance.objects.all()}
    for org_id in sorted(set(sums) | set(balances) | set(open_holds)):
        balance = balances.get(org_id)
        stored = (balance.balance_micros, balance.held_micros) if balance else (0, 0)
        row = sums.get(org_id, {"amount": 0, "held": 0})
        if stored[0] != row["amount"]:
            problems.append(f"organization {org_id}: balance {stored[0]} != sum of entries {row['amount']}")
        if stored[1] != row["held"]:
            problems.append(f"organization {org_id}: held {stored[1]} != sum of held deltas {row['held']}")
        if stored[1] != open_holds.get(org_id, 0):
            problems.append(f"organization {org_id}: held {stored[1]} != sum of open holds {open_holds.get(org_id, 0)}")
    return problems


def _open_hold_problems(check, now) -> list[str]:
    deadline = now - timedelta(seconds=settings.TOLLGATE_HOLD_MAX_AGE_SECONDS)
    problems = []
    open_holds = Hold.objects.filter(state=HoldState.OPEN).values_list("task_id", "created_at")
    task_ids = [task_id for task_id, _ in open_holds]
    finished = check(task_ids) if task_ids else set()
    for task_id, created_at in open_holds:
        if task_id in finished:
            problems.append(f"task {task_id}: finished but its hold is still open")
        elif created_at < deadline:
            problems.append(f"task {task_id}: hold open since {created_at.isoformat()}")
    return problems


def _resolution_problems() -> list[str]:
    """Per task: held deltas net to the open amount; one capture at most; a captured hold has
    exactly one capture entry, a released one none and exactly one release."""
    problems = []
    entries = {row["task_id"]: row for row in LedgerEntry.objects.exclude(task_id="").values("task_id").order_by().annotate(
        held=Sum("held_delta_micros"), captures=Count("pk", filter=Q(kind=EntryKind.CAPTURE)),
        releases=Count("pk", filter=Q(kind=EntryKind.RELEASE)), holds=Count("pk", filter=Q(kind=EntryKind.HOLD)),
    )}
    for task_id, state, amount in Hold.objects.values_list("task_id", "state", "amount_micros").iterator():
        row = entries.pop(task_id, None) or {"held": 0, "captures": 0, "releases": 0, "holds": 0}
        expected_held = amount if state == HoldState.OPEN else 0
        expected = {
            HoldState.OPEN: (0, 0), HoldState.RELEASED: (0, 1),
        }.get(state)
        if row["held"] != expected_held or row["holds"] != 1:
            problems.append(f"task {task_id}: entries hold {row['held']} (expected {expected_held}, {row['holds']} hold entries)")
        if state == HoldState.CAPTURED:
            if row["captures"] != 1 or row["releases"] > 1:
                problems.append(f"task {task_id}: {row['captures']} captures, {row['releases']} releases for a captured hold")
        elif (row["captures"], row["releases"]) != expected:
            problems.append(f"task {task_id}: {row['captures']} captures, {row['releases']} releases for a {state} hold")
    for task_id in entries:
        problems.append(f"task {task_id}: ledger entries without a hold")
    return problems
