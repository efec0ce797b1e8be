"""Writes of the usage area: the record and its daily roll-up, always together."""
from __future__ import annotations

from contextlib import nullcontext
from datetime import timezone
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from apps.accounts.models import ApiKey, Organization
from apps.core import statements
from apps.usage.models import UsageDaily, UsageRecord

# Quantities mirrored into columns (the rest stays in the JSON).
COLUMN_QUANTITIES = ("input_tokens", "output_tokens", "characters", "images")
# Record columns summed into UsageDaily (plus ``requests``, the record count).
ROLLUP_SUMS = ("input_tokens", "output_tokens", "characters", "images", "media_microseconds", "processing_ms",
               "output_bytes", "cost_micros")


def usage_record_create(*, task_id: str, organization: Organization, api_key: ApiKey | None, model_id: str,
                        price_version_id: int | None, quantities: dict, cost_micros: int, processing_ms: int,
                        output_bytes: int, status: str, defer_rollup: bool = False,
                        savepoint: bool = True) -> UsageRecord:
    """One record per task: a replay returns the first record unchanged (unique task_id) and
    leaves the roll-up untouched. Call it in the same transaction as hold_capture, with the
    capture's captured_micros. ``defer_rollup``: the caller adds the roll-up later in the same
    transaction with ``usage_rollup_add``. ``savepoint=False`` for a caller that has already
    proved this is the task's only record (the settle's compare-and-set): the row then goes with
    the COMMIT, and a duplicate fails the caller's transaction instead of being returned."""
    columns = {name: int(quantities.get(name) or 0) for name in COLUMN_QUANTITIES}
    record = UsageRecord(
        task_id=task_id, organization=organization, api_key=api_key, model_id=model_id,
        price_version_id=price_version_id, quantities={k: str(v) if not isinstance(v, int) else v for k, v in quantities.items()},
        cost_micros=cost_micros, processing_ms=processing_ms, output_bytes=output_bytes, status=status,
        media_microseconds=seconds_to_microseconds(quantities.get("seconds")), **columns,
    )
    # Foreign keys are the database's to check (full_clean would query each one).
    record.full_clean(exclude=["organization", "api_key"], validate_unique=False, validate_constraints=False)
    try:
        # In a savepoint (unless the caller opted out): a duplicate task_id rolls back before
        # counting anything, and the first record is returned.
        with transaction.atomic() if savepoint else nullcontext():
            # Without a savepoint (the settle) the row goes with the COMMIT: nobody reads it back.
            statements.insert([record], at_commit=not savepoint)
            if not defer_rollup:
                _rollup_add(record)
    except IntegrityError:
        if not savepoint:
            raise  # the caller's transaction is aborted: it decides
        existing = UsageRecord.objects.filter(task_id=task_id).first()
        if existing is None:
            raise
        existing._rollup_pending = False
        return existing
    record._rollup_pending = defer_rollup
    return record


def usage_rollup_add(*, record: UsageRecord) -> None:
    """The roll-up half of ``usage_record_create(defer_rollup=True)``, in the same transaction:
    a no-op for a replayed record. The settle calls it right after the capture, so the roll-up
    row (one per organization, day, model and key: every task of a busy key updates it) follows
    the balance row in the message that commits."""
    if getattr(record, "_rollup_pending", False):
        _rollup_add(record)
        record._rollup_pending = False


def seconds_to_microseconds(seconds) -> int:
    """'1.5' → 1_500_000; exact Decimal arithmetic, half-up below one microsecond."""
    if seconds in (None, ""):
        return 0
    return int((Decimal(str(seconds)) * 1_000_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _rollup_add(record: UsageRecord) -> None:
    """Adds one record to its UsageDaily row: one upsert (INSERT … ON CONFLICT DO UPDATE SET
    x = x + excluded.x), written out by hand (the ORM spent more CPU building its expressions
    than the database spent running them). Every task of a busy key updates the same row, so it
    goes with the COMMIT (``statements.at_commit``), after the capture's balance UPDATE (the same
    order everywhere: balance, then roll-up). The row lock serializes the increments; nothing is
    read-modify-written in Python."""
    amounts = [getattr(record, name) for name in ROLLUP_SUMS]
    if not all(isinstance(value, int) for value in amounts):
        raise TypeError("roll-up sums are integers")
    table = statements.quoted(UsageDaily)
    day = statements.db_value(UsageDaily, "day", record.created_at.astimezone(timezone.utc).date())
    summed = ("requests", *ROLLUP_SUMS)
    columns = ", ".join(f'"{name}"' for name in ("organization_id", "day", "model_id", "api_key_id", *summed))
    placeholders = ", ".join(["%s"] * (4 + len(summed)))
    # The unique constraint the row matches: one per partial index (null and non-null key).
    target = ('("organization_id", "day", "model_id") WHERE "api_key_id" IS NULL' if record.api_key_id is None
              else '("organization_id", "day", "model_id", "api_key_id") WHERE "api_key_id" IS NOT NULL')
    sets = ", ".join(f'"{name}" = {table}."{name}" + excluded."{name}"' for name in summed)
    statements.at_commit(
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT {target} DO UPDATE SET {sets}",
        [record.organization_id, day, record.model_id, record.api_key_id, 1, *amounts])


@transaction.atomic
def usage_rollup_rebuild(*, organization: Organization | None = None) -> int:
    """Recomputes UsageDaily from the raw records (repair); returns the number of roll-up rows.
    On PostgreSQL the roll-up table is locked against concurrent writers for the duration, so a
    record committed meanwhile is either in the recount or increments the rebuilt row after it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {UsageDaily._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
    records, existing = UsageRecord.objects.all(), UsageDaily.objects.all()
    if organization is not None:
        records, existing = records.filter(organization=organization), existing.filter(organization=organization)
    existing.delete()
    grouped = (records.annotate(day=TruncDate("created_at", tzinfo=timezone.utc)).order_by()
               .values("organization_id", "day", "model_id", "api_key_id")
               .annotate(requests=Count("pk"), **{name: Sum(name) for name in ROLLUP_SUMS}))
    created = UsageDaily.objects.bulk_create((UsageDaily(**row) for row in grouped.iterator(chunk_size=5000)),
                                             batch_size=5000)
    return len(created)
