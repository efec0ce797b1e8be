"""The one way an entry reaches the ledger: insert it and move the cached balance with it, in
the caller's transaction, under the balance row lock the caller holds."""
from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from apps.accounts.models import Organization
from apps.billing.models import Balance, BillingProfile, EntryKind, LedgerEntry
from apps.core import statements

# Only money Stripe takes back may push available credit below zero (see Balance.floor_micros).
FLOOR_LOWERING_KINDS = frozenset({EntryKind.STRIPE_REFUND, EntryKind.DISPUTE})


def entry_find(*, organization_id: int, idempotency_key: str) -> LedgerEntry | None:
    return LedgerEntry.objects.filter(organization_id=organization_id, idempotency_key=idempotency_key).first()


def entry_append(*, balance: Balance, kind: str, amount_micros: int, held_delta_micros: int = 0,
                 idempotency_key: str, **fields) -> tuple[LedgerEntry, bool]:
    """Writes the entry and applies it to ``balance`` (a row locked by the caller).

    Returns (entry, created). A replayed idempotency key returns the existing entry and changes
    nothing: the unique constraint decides, inside a savepoint so the caller's transaction
    survives the IntegrityError."""
    entry = LedgerEntry(
        organization_id=balance.organization_id, kind=kind, amount_micros=amount_micros,
        held_delta_micros=held_delta_micros, idempotency_key=idempotency_key, **fields,
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        existing = entry_find(organization_id=balance.organization_id, idempotency_key=idempotency_key)
        if existing is None:
            raise
        return existing, False
    new_balance = balance.balance_micros + amount_micros
    new_available = new_balance - balance.held_micros - held_delta_micros
    if kind in FLOOR_LOWERING_KINDS:
        floor = min(balance.floor_micros, new_available, 0)
    else:
        floor = max(balance.floor_micros, min(0, new_available))
    # F() expressions: the database adds to what is stored, and the CheckConstraint on Balance
    # rejects any result below the floor (last line of defence behind the callers' checks).
    Balance.objects.filter(pk=balance.pk).update(
        balance_micros=F("balance_micros") + amount_micros,
        held_micros=F("held_micros") + held_delta_micros,
        floor_micros=floor,
    )
    balance.balance_micros = new_balance
    balance.held_micros += held_delta_micros
    balance.floor_micros = floor
    return entry, True


def entries_apply(*, organization_id: int, entries: list[LedgerEntry], require_available_micros: int | None = None,
                  require_usual_terms: bool = False, at_commit: bool = False) -> bool:
    """Inserts ``entries`` (one statement) and then moves the organization's balance by their sums
    with one conditional UPDATE, in the caller's transaction.

    The UPDATE is what takes the balance row lock, and it comes last: the lock is held for that
    statement and the commit only, not for the inserts before it (the throughput of one
    organization is bounded by how long each transaction holds this lock). Call it as the last
    write of the transaction. With ``require_available_micros`` the UPDATE only matches when
    balance ≥ 0 and available ≥ that amount *after the lock is taken* (PostgreSQL re-checks the
    condition on the locked row), so two holds can never both pass on the same credit; it
    returns False then, and the caller must roll back (raise). The same condition refuses a
    frozen balance row (``Balance.frozen``). The floor follows the same rule
    as ``entry_append`` (only Stripe refunds/disputes lower it; callers of this helper never
    pass those kinds). The unique idempotency key still decides: a replayed entry raises
    IntegrityError and the caller's transaction rolls back whole.

    ``require_usual_terms``: the UPDATE also only matches when the organization has no monthly
    budget and is not frozen (``holds.USUAL_TERMS``: a hold that did not read them first).

    ``at_commit``: the UPDATE goes with the COMMIT (``statements.at_commit``), so the lock is not
    held across this thread's next turn; it returns True, and a refusal (or a missing balance
    row) raises ``statements.RowUnchanged`` then, from here or from the atomic block's exit."""
    if any(entry.kind in FLOOR_LOWERING_KINDS for entry in entries):
        raise ValueError("entries_apply does not lower the floor: use entry_append under balance_lock")
    amount = sum(entry.amount_micros for entry in entries)
    held_delta = sum(entry.held_delta_micros for entry in entries)
    for entry in entries:
        entry.organization_id = organization_id
    statements.insert(entries, at_commit=at_commit)  # with the COMMIT too: nobody reads them back
    return balance_move(organization_id=organization_id, amount_micros=amount, held_delta_micros=held_delta,
                        require_available_micros=require_available_micros, require_usual_terms=require_usual_terms,
                        at_commit=at_commit)


def balance_move(*, organization_id: int, amount_micros: int, held_delta_micros: int,
                 require_available_micros: int | None, require_usual_terms: bool = False,
                 at_commit: bool = False) -> bool:
    """The balance half of ``entries_apply``, one statement written out by hand: two tasks of
    every task run it, and the ORM spent more CPU building it (floor arithmetic in nested
    expressions) than the database spent running it. Every right-hand side reads the row as it
    was before this UPDATE (SQL semantics, the same as F() expressions):
    floor = max(floor, min(0, available after the move))."""
    if not all(isinstance(value, int) for value in (amount_micros, held_delta_micros, organization_id)):
        raise TypeError("integer micros only")
    greatest, least = ("GREATEST", "LEAST") if connection.vendor == "postgresql" else ("MAX", "MIN")
    sql = (f'UPDATE {statements.quoted(Balance)} SET "balance_micros" = "balance_micros" + %s, '
           f'"held_micros" = "held_micros" + %s, '
           f'"floor_micros" = {greatest}("floor_micros", {least}(0, "balance_micros" + %s - "held_micros" - %s)) '
           f'WHERE "organization_id" = %s')
    params = [amount_micros, held_delta_micros, amount_micros, held_delta_micros, organization_id]
    if require_available_micros is not None:
        sql += ' AND "balance_micros" >= 0 AND "balance_micros" >= "held_micros" + %s AND NOT "frozen"'
        params.append(int(require_available_micros))
    if require_usual_terms:
        sql += (f' AND NOT EXISTS (SELECT 1 FROM {statements.quoted(BillingProfile)} WHERE "organization_id" = %s'
                f' AND "monthly_budget_micros" IS NOT NULL)'
                f' AND NOT EXISTS (SELECT 1 FROM {statements.quoted(Organization)} WHERE "id" = %s AND "is_frozen")')
        params += [organization_id, organization_id]
    if at_commit:
        statements.at_commit(sql, params)
        return True
    return statements.execute(sql, params) == 1
