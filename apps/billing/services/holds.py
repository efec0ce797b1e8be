"""Task holds: reserve the quoted maximum, then capture the actual cost or release it all.

Entries: hold (amount 0, held +H); capture (amount −charged, held −H or −charged) and release
(amount 0, held −rest). Each task's hold resolves once: the Hold row moves open → captured |
released by compare-and-set, under the organization's balance lock."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from apps.accounts.models import ApiKey, Organization
from apps.billing.lock_objects import balance_lock, hold_lock
from apps.billing.models import BillingProfile, EntryKind, Hold, HoldState
from apps.billing.services.ledger import entry_append
from apps.core.errors import INSUFFICIENT_CREDITS, PERMISSION, ApplicationError

logger = logging.getLogger(__name__)

INSUFFICIENT_CREDITS_MESSAGE = "Insufficient credits for this operation"
SPEND_CAP_EXCEEDED = "This API key has reached its spend cap."
BUDGET_EXCEEDED = "This organization has reached its monthly budget."
ORGANIZATION_FROZEN = "This organization is frozen. Contact support."


@dataclass(frozen=True)
class CaptureResult:
    captured_micros: int  # charged to the balance
    released_micros: int  # returned to available credit
    overrun_micros: int  # reported cost above the hold (charged as far as credit allowed)
    shortfall_micros: int = 0  # part of the overrun that could not be charged (flagged)


def _insufficient() -> ApplicationError:
    return ApplicationError(INSUFFICIENT_CREDITS_MESSAGE, type=INSUFFICIENT_CREDITS, code="insufficient_credits", status=402)


def _committed_micros(holds) -> int:
    """Open holds count at their amount, captured ones at what was charged."""
    totals = holds.aggregate(
        open=Sum("amount_micros", filter=Q(state=HoldState.OPEN)),
        captured=Sum("captured_micros", filter=Q(state=HoldState.CAPTURED)),
    )
    return (totals["open"] or 0) + (totals["captured"] or 0)


def _check_limits(*, organization: Organization, api_key: ApiKey | None, amount_micros: int) -> None:
    """Spend cap and monthly budget. Runs under the balance lock, which serializes every hold
    of the organization, so these sums cannot change underneath."""
    cap = api_key.spend_cap_micros if api_key is not None else None
    if cap is not None and _committed_micros(Hold.objects.filter(api_key=api_key)) + amount_micros > cap:
        raise ApplicationError(SPEND_CAP_EXCEEDED, type=INSUFFICIENT_CREDITS, code="spend_cap_exceeded", status=402)
    budget = BillingProfile.objects.filter(organization=organization).values_list("monthly_budget_micros", flat=True).first()
    if budget is not None:
        month_start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        spent = _committed_micros(Hold.objects.filter(organization=organization, created_at__gte=month_start))
        if spent + amount_micros > budget:
            raise ApplicationError(BUDGET_EXCEEDED, type=INSUFFICIENT_CREDITS, code="budget_exceeded", status=402)


def credit_hold(*, organization: Organization, api_key: ApiKey | None, task_id: str, amount_micros: int) -> Hold:
    """Reserves ``amount_micros`` for the task. Safe inside the engine's own atomic() (nested:
    a refusal rolls back only this savepoint). Calling again for the same task returns its hold."""
    if not isinstance(amount_micros, int) or isinstance(amount_micros, bool) or amount_micros < 0:
        raise ValueError("amount_micros must be a non-negative int")
    with transaction.atomic():
        balance = balance_lock(organization_id=organization.pk)
        existing = Hold.objects.filter(task_id=task_id).first()
        if existing is not None:
            return existing
        # Re-read the frozen flag under the lock: a dispute freezes the organization in a
        # transaction that also takes this lock.
        if Organization.objects.filter(pk=organization.pk, is_frozen=True).exists():
            raise ApplicationError(ORGANIZATION_FROZEN, type=PERMISSION, code="organization_frozen", status=403)
        # A negative balance (Stripe took money back) blocks every new task, even a free one.
        if balance.balance_micros < 0 or balance.available_micros < amount_micros:
            raise _insufficient()
        _check_limits(organization=organization, api_key=api_key, amount_micros=amount_micros)
        hold = Hold.objects.create(organization=organization, api_key=api_key, task_id=task_id, amount_micros=amount_micros)
        entry_append(
            balance=balance, kind=EntryKind.HOLD, amount_micros=0, held_delta_micros=amount_micros,
            idempotency_key=f"task:{task_id}:hold", task_id=task_id, api_key=api_key,
        )
    _after_hold(organization=organization, balance=balance)
    return hold


def _after_hold(*, organization: Organization, balance) -> None:
    from apps.billing.services.auto_recharge import auto_recharge_schedule_if_low

    auto_recharge_schedule_if_low(organization=organization, available_micros=balance.available_micros)


def _resolved_result(hold: Hold) -> CaptureResult:
    if hold.state == HoldState.CAPTURED:
        return CaptureResult(hold.captured_micros, max(0, hold.amount_micros - hold.captured_micros),
                             hold.overrun_micros, hold.shortfall_micros)
    return CaptureResult(0, hold.amount_micros, 0, 0)


def _resolve(hold: Hold, **fields) -> None:
    """Compare-and-set open → captured|released; the lock makes a lost race impossible, the
    condition makes it loud if that ever changes."""
    updated = Hold.objects.filter(pk=hold.pk, state=HoldState.OPEN).update(resolved_at=timezone.now(), **fields)
    if updated != 1:
        raise RuntimeError(f"hold {hold.task_id} resolved concurrently")
    for name, value in fields.items():
        setattr(hold, name, value)


def hold_capture(*, task_id: str, amount_micros: int) -> CaptureResult:
    """Charges the actual cost and releases the rest. A cost above the hold (the provider's usage
    proves more) is charged up to the available credit; what cannot be charged is the
    shortfall, flagged on the entry, and the balance never goes below zero for it.
    Idempotent: a resolved hold returns how it was resolved."""
    if not isinstance(amount_micros, int) or isinstance(amount_micros, bool) or amount_micros < 0:
        raise ValueError("amount_micros must be a non-negative int")
    unlocked = Hold.objects.filter(task_id=task_id).only("organization_id").first()
    if unlocked is None:
        raise ApplicationError(f"No hold for task {task_id}.", code="hold_not_found", status=404)
    with transaction.atomic():
        balance = balance_lock(organization_id=unlocked.organization_id)
        hold = hold_lock(task_id=task_id)
        if hold.state != HoldState.OPEN:
            return _resolved_result(hold)
        overrun = max(0, amount_micros - hold.amount_micros)
        # Room for an overrun: the credit available beside this hold, never below zero.
        chargeable_overrun = min(overrun, max(0, balance.available_micros))
        shortfall = overrun - chargeable_overrun
        captured = min(amount_micros, hold.amount_micros) + chargeable_overrun
        released = max(0, hold.amount_micros - amount_micros)
        _resolve(hold, state=HoldState.CAPTURED, captured_micros=captured, overrun_micros=overrun, shortfall_micros=shortfall)
        entry_append(
            balance=balance, kind=EntryKind.CAPTURE, amount_micros=-captured,
            held_delta_micros=-(hold.amount_micros - released), idempotency_key=f"task:{task_id}:capture",
            task_id=task_id, api_key_id=hold.api_key_id, is_flagged=overrun > 0,
            details={"reported_micros": amount_micros, "overrun_micros": overrun, "shortfall_micros": shortfall} if overrun else {},
        )
        if released:
            entry_append(
                balance=balance, kind=EntryKind.RELEASE, amount_micros=0, held_delta_micros=-released,
                idempotency_key=f"task:{task_id}:release", task_id=task_id, api_key_id=hold.api_key_id,
                reason="unused remainder",
            )
    if overrun:
        logger.warning("capture above hold", extra={"task_id": task_id, "overrun_micros": overrun, "shortfall_micros": shortfall})
    return CaptureResult(captured, released, overrun, shortfall)


def hold_release(*, task_id: str, reason: str) -> None:
    """Releases the whole hold (task failed or cancelled). A no-op on a resolved or unknown hold."""
    unlocked = Hold.objects.filter(task_id=task_id).only("organization_id").first()
    if unlocked is None:
        return
    with transaction.atomic():
        balance = balance_lock(organization_id=unlocked.organization_id)
        hold = hold_lock(task_id=task_id)
        if hold.state != HoldState.OPEN:
            return
        _resolve(hold, state=HoldState.RELEASED, release_reason=reason[:200])
        entry_append(
            balance=balance, kind=EntryKind.RELEASE, amount_micros=0, held_delta_micros=-hold.amount_micros,
            idempotency_key=f"task:{task_id}:release", task_id=task_id, api_key_id=hold.api_key_id, reason=reason[:500],
        )
