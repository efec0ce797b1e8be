"""Task holds: reserve the quoted maximum, then capture the actual cost or release it all.

Entries: hold (amount 0, held +H); capture (amount −charged, held −H or −charged) and release
(amount 0, held −rest). Each task's hold resolves once: the Hold row moves open → captured |
released by compare-and-set on the Hold row (its row lock serializes the resolutions of one
task); the Balance row, every task of the organization's hot spot, is locked by the last
statement of each transaction only (``ledger.entries_apply``), sent with the COMMIT where
nothing has to be read under that lock (``statements.at_commit``)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from apps.accounts.models import ApiKey, Organization
from apps.billing.lock_objects import balance_lock, hold_lock
from apps.billing.models import Balance, BillingProfile, EntryKind, Hold, HoldState, LedgerEntry
from apps.billing.services.ledger import entries_apply, entry_append
from apps.core import statements
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


def _check_limits(*, organization: Organization, api_key: ApiKey | None, task_id: str, amount_micros: int,
                  cap: int | None, budget: int | None) -> None:
    """Spend cap and monthly budget. Runs under the balance lock, which serializes every hold
    of the organization, so these sums cannot change underneath (each statement sees every hold
    committed by an earlier lock holder). The task's own hold, already inserted, is left out."""
    if cap is not None and _committed_micros(Hold.objects.filter(api_key=api_key).exclude(task_id=task_id)) + amount_micros > cap:
        raise ApplicationError(SPEND_CAP_EXCEEDED, type=INSUFFICIENT_CREDITS, code="spend_cap_exceeded", status=402)
    if budget is not None:
        month_start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        spent = _committed_micros(Hold.objects.filter(organization=organization, created_at__gte=month_start)
                                  .exclude(task_id=task_id))
        if spent + amount_micros > budget:
            raise ApplicationError(BUDGET_EXCEEDED, type=INSUFFICIENT_CREDITS, code="budget_exceeded", status=402)


@dataclass(frozen=True)
class HoldTerms:
    """What a hold reads before it locks the balance row (``hold_terms``). ``assumed``: not read
    but assumed to be the usual terms (``USUAL_TERMS``), which the balance UPDATE then checks."""
    frozen: bool
    budget_micros: int | None  # the organization's monthly budget
    has_balance: bool  # its balance row exists (created at the first hold otherwise)
    assumed: bool = False

    @property
    def usual(self) -> bool:
        return not self.frozen and self.budget_micros is None and self.has_balance


# Not frozen, no monthly budget, a balance row: what almost every hold finds. A hold made on these
# terms without reading them (``credit_hold(terms=USUAL_TERMS)``) is refused by its balance UPDATE
# when they do not hold; the caller then reads them (``hold_terms``) and tries again with them.
USUAL_TERMS = HoldTerms(frozen=False, budget_micros=None, has_balance=True, assumed=True)


def hold_terms(organization_id: int) -> HoldTerms:
    """One statement, read before the hold's transaction (nothing is locked by it), so that
    transaction can be all sent with its COMMIT (``credit_hold(terms=...)``). The task submit
    reads it only when ``USUAL_TERMS``, assumed, were refused."""
    frozen, budget, balance_id = statements.fetchone(
        f'SELECT o."is_frozen", p."monthly_budget_micros", b."id" FROM {statements.quoted(Organization)} o '
        f'LEFT JOIN {statements.quoted(BillingProfile)} p ON p."organization_id" = o."id" '
        f'LEFT JOIN {statements.quoted(Balance)} b ON b."organization_id" = o."id" WHERE o."id" = %s',
        [organization_id])
    return HoldTerms(frozen=bool(frozen), budget_micros=budget, has_balance=balance_id is not None)  # SQLite: 0/1


def credit_hold(*, organization: Organization, api_key: ApiKey | None, task_id: str, amount_micros: int,
                savepoint: bool = True, terms: HoldTerms | None = None) -> Hold:
    """Reserves ``amount_micros`` for the task. Safe inside the engine's own atomic() (nested:
    a refusal rolls back only this savepoint). Calling again for the same task returns its hold.
    ``savepoint=False`` is for a caller whose whole transaction fails with a refusal (the task
    submit): no savepoint, no lookup of an earlier hold (the caller just created the task), and
    the refusal may surface as ``statements.RowUnchanged`` from the caller's atomic block; the
    caller then raises ``hold_refusal(organization)``. ``terms``: ``hold_terms`` as the caller
    read it just before its transaction (else read here), or ``USUAL_TERMS`` (not read: a
    refusal may then also mean the terms were not the usual ones).

    The organization's balance row lock is taken by the last statement (the conditional UPDATE
    in ``entries_apply``), after the hold and its entry are inserted: every hold of one
    organization passes through that lock. Without a spend cap or a monthly budget, nothing
    needs to be read under it, so the UPDATE goes with the COMMIT (``statements.at_commit``).
    With one, the UPDATE runs at once and the sums are read under the lock. The caller should
    make this its transaction's last write, and read nothing it changes."""
    if not isinstance(amount_micros, int) or isinstance(amount_micros, bool) or amount_micros < 0:
        raise ValueError("amount_micros must be a non-negative int")
    if savepoint:
        existing = Hold.objects.filter(task_id=task_id).first()
        if existing is not None:
            return existing
    # Read before the lock. The freeze is re-checked by the UPDATE itself (Balance.frozen); a
    # budget set meanwhile is as concurrent as if it had been set a moment later.
    terms = terms or hold_terms(organization.pk)
    if terms.frozen:
        raise _frozen()
    if not terms.has_balance:
        Balance.objects.get_or_create(organization_id=organization.pk)  # first use: an empty balance
    cap = api_key.spend_cap_micros if api_key is not None else None
    budget = terms.budget_micros
    limited = cap is not None or budget is not None
    try:
        with transaction.atomic(savepoint=savepoint):
            hold = Hold(organization=organization, api_key=api_key, task_id=task_id, amount_micros=amount_micros)
            # The submit (savepoint=False) never reads its hold back: it goes with the COMMIT too.
            statements.insert([hold], at_commit=not savepoint and not limited)
            entry = LedgerEntry(kind=EntryKind.HOLD, amount_micros=0, held_delta_micros=amount_micros,
                                idempotency_key=f"task:{task_id}:hold", task_id=task_id, api_key=api_key)
            # A negative balance (Stripe took money back) blocks every new task, even a free one.
            if not entries_apply(organization_id=organization.pk, entries=[entry], require_available_micros=amount_micros,
                                 require_usual_terms=terms.assumed, at_commit=not limited):
                if terms.assumed:  # no credit, or not the usual terms: the caller reads them and decides
                    raise statements.RowUnchanged("hold refused on the usual terms assumed")
                raise hold_refusal(organization)
            if limited:  # the balance row is locked until commit: every other hold waits
                _check_limits(organization=organization, api_key=api_key, task_id=task_id, amount_micros=amount_micros,
                              cap=cap, budget=budget)
    except statements.RowUnchanged:  # refused, and rolled back to this block's start
        if not savepoint:
            raise  # the caller's transaction is aborted (or over): it decides
        raise hold_refusal(organization) from None
    except IntegrityError:  # the same task held concurrently: its hold (unique task_id) won
        if not savepoint:
            raise  # the caller's transaction is aborted: it decides
        existing = Hold.objects.filter(task_id=task_id).first()
        if existing is None:
            raise
        return existing
    transaction.on_commit(lambda: _after_hold(organization=organization, amount_micros=amount_micros))
    return hold


def hold_refusal(organization: Organization) -> ApplicationError:
    """Why a hold was refused (403 frozen, else 402), read after the refusing transaction."""
    frozen = Balance.objects.filter(organization_id=organization.pk, frozen=True).exists() or \
        Organization.objects.filter(pk=organization.pk, is_frozen=True).exists()
    return _frozen() if frozen else _insufficient()


def balance_freeze_mark(*, organization_id: int, frozen: bool) -> Balance:
    """Mirrors a freeze onto the balance row, under its lock, in the freeze's transaction: a hold
    waiting for that lock re-checks the row and refuses it once the freeze commits. Returns the
    row, locked until the caller's commit."""
    balance = balance_lock(organization_id=organization_id)
    Balance.objects.filter(pk=balance.pk).update(frozen=frozen)
    balance.frozen = frozen
    return balance


def _frozen() -> ApplicationError:
    return ApplicationError(ORGANIZATION_FROZEN, type=PERMISSION, code="organization_frozen", status=403)


def _after_hold(*, organization: Organization, amount_micros: int) -> None:
    """After the hold's commit: an auto-recharge when the available credit fell low."""
    from apps.billing.services.auto_recharge import auto_recharge_schedule_if_low
    from apps.billing.stripe_client import stripe_is_configured

    if not stripe_is_configured():
        return  # no auto-recharge without Stripe: skip the balance read
    available = Balance.objects.filter(organization_id=organization.pk).values_list(
        F("balance_micros") - F("held_micros"), flat=True).first() or 0
    auto_recharge_schedule_if_low(organization=organization, available_micros=available)


def _resolved_result(hold: Hold) -> CaptureResult:
    if hold.state == HoldState.CAPTURED:
        return CaptureResult(hold.captured_micros, max(0, hold.amount_micros - hold.captured_micros),
                             hold.overrun_micros, hold.shortfall_micros)
    return CaptureResult(0, hold.amount_micros, 0, 0)


def _resolve(hold: Hold, **fields) -> None:
    """``_cas_resolve`` for a caller holding the hold's row lock: a lost race is impossible, the
    condition makes it loud if that ever changes."""
    if not _cas_resolve(hold, **fields):
        raise RuntimeError(f"hold {hold.task_id} resolved concurrently")


@dataclass(frozen=True)
class HoldFacts:
    """What the caller believes the task's hold is (the task row says so): lets
    ``hold_capture`` resolve it without reading it first. The compare-and-set checks each fact."""
    amount_micros: int
    organization_id: int
    api_key_id: int | None


def hold_capture(*, task_id: str, amount_micros: int, expected: HoldFacts | None = None,
                 at_commit: bool = False) -> CaptureResult:
    """Charges the actual cost and releases the rest. A cost above the hold (the provider's usage
    proves more) is charged up to the available credit; what cannot be charged is the
    shortfall, flagged on the entry, and the balance never goes below zero for it.
    Idempotent: a resolved hold returns how it was resolved. ``at_commit`` (with ``expected``,
    within the hold): the compare-and-set goes with the COMMIT, so the capture costs no round
    trip; a hold that does not match fails the commit (``statements.RowUnchanged``) and the
    caller settles again without it.

    Locks: the task's Hold row first (the compare-and-set), then the organization's Balance row
    (the last statement), in that order everywhere."""
    if not isinstance(amount_micros, int) or isinstance(amount_micros, bool) or amount_micros < 0:
        raise ValueError("amount_micros must be a non-negative int")
    if expected is not None and amount_micros <= expected.amount_micros:
        # One round trip less: the compare-and-set matches only the hold the caller described.
        with transaction.atomic(savepoint=False):
            if statements.update(Hold, where={
                "task_id": task_id, "state": HoldState.OPEN, "amount_micros": expected.amount_micros,
                "organization_id": expected.organization_id, "api_key_id": expected.api_key_id,
            }, values={"state": HoldState.CAPTURED, "captured_micros": amount_micros, "overrun_micros": 0,
                       "shortfall_micros": 0, "resolved_at": timezone.now()}, at_commit=at_commit):
                hold = Hold(task_id=task_id, organization_id=expected.organization_id, api_key_id=expected.api_key_id,
                            amount_micros=expected.amount_micros)
                return _capture_entries_apply(hold, amount_micros)
    hold = Hold.objects.filter(task_id=task_id).first()
    if hold is None:
        raise ApplicationError(f"No hold for task {task_id}.", code="hold_not_found", status=404)
    if hold.state != HoldState.OPEN:
        return _resolved_result(hold)
    if amount_micros > hold.amount_micros:
        return _capture_overrun(task_id=task_id, amount_micros=amount_micros)
    # Within the hold: no need to read the balance, so no lock before the final UPDATE.
    # No savepoint inside the caller's transaction (the settle): its RELEASE would be one more
    # round trip while the balance row is locked; any error here fails the caller's transaction.
    with transaction.atomic(savepoint=False):
        if not _cas_resolve(hold, state=HoldState.CAPTURED, captured_micros=amount_micros, overrun_micros=0,
                            shortfall_micros=0):
            hold.refresh_from_db()
            return _resolved_result(hold)
        return _capture_entries_apply(hold, amount_micros)


def _capture_entries_apply(hold: Hold, amount_micros: int) -> CaptureResult:
    """The entries of a capture within the hold, once its compare-and-set has won (inside the
    compare-and-set's transaction: the callers hold it open)."""
    task_id = hold.task_id
    released = hold.amount_micros - amount_micros
    entries = [LedgerEntry(kind=EntryKind.CAPTURE, amount_micros=-amount_micros, held_delta_micros=-amount_micros,
                           idempotency_key=f"task:{task_id}:capture", task_id=task_id, api_key_id=hold.api_key_id)]
    if released:
        entries.append(LedgerEntry(kind=EntryKind.RELEASE, amount_micros=0, held_delta_micros=-released,
                                   idempotency_key=f"task:{task_id}:release", task_id=task_id,
                                   api_key_id=hold.api_key_id, reason="unused remainder"))
    # With the COMMIT: nothing after it in the settle reads the balance (a missing row would
    # raise statements.RowUnchanged and roll the settle back).
    entries_apply(organization_id=hold.organization_id, entries=entries, at_commit=True)
    return CaptureResult(amount_micros, released, 0, 0)


def _cas_resolve(hold: Hold, **fields) -> bool:
    """Compare-and-set open → captured|released; False when another transaction resolved it
    first (this UPDATE waits for that one's commit, then finds the row no longer open)."""
    updated = statements.update(Hold, where={"pk": hold.pk, "state": HoldState.OPEN},
                                values={"resolved_at": timezone.now(), **fields})
    if updated:
        for name, value in fields.items():
            setattr(hold, name, value)
    return bool(updated)


def _capture_overrun(*, task_id: str, amount_micros: int) -> CaptureResult:
    """A capture above the hold needs the available credit, read under the balance lock."""
    with transaction.atomic():
        hold = hold_lock(task_id=task_id)
        if hold.state != HoldState.OPEN:
            return _resolved_result(hold)
        balance = balance_lock(organization_id=hold.organization_id)
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
    """Releases the whole hold (task failed or cancelled). A no-op on a resolved or unknown hold.
    Same lock order as the capture: the Hold (compare-and-set), then the Balance (last)."""
    hold = Hold.objects.filter(task_id=task_id).first()
    if hold is None or hold.state != HoldState.OPEN:
        return
    with transaction.atomic(savepoint=False):  # see hold_capture
        if not _cas_resolve(hold, state=HoldState.RELEASED, release_reason=reason[:200]):
            return
        entry = LedgerEntry(kind=EntryKind.RELEASE, amount_micros=0, held_delta_micros=-hold.amount_micros,
                            idempotency_key=f"task:{task_id}:release", task_id=task_id, api_key_id=hold.api_key_id,
                            reason=reason[:500])
        entries_apply(organization_id=hold.organization_id, entries=[entry], at_commit=True)  # as in the capture
