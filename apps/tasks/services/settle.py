"""Finishing a task: exactly once, by compare-and-set, with its billing in the same transaction.

A redelivered message or a racing cancel loses the CAS and settles nothing; billing calls are
idempotent on the task id as a second line of defence."""
from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core import statements
from apps.core.text import without_nul
from apps.providers.base import ProviderResult
from apps.tasks.channels import completion_publish, stream_append
from apps.tasks.models import ACTIVE_STATUSES, Task, TaskOutput, TaskStatus
from apps.tasks.outputs import outputs_rows_save, outputs_summary
from apps.tasks.services.transitions import task_transition
from apps.tasks.services.webhooks import webhook_schedule

logger = logging.getLogger(__name__)


def _announce(task: Task, *, status: str, event: str, data: dict, summary: dict | None = None) -> None:
    """After commit: wake waiters, close the stream, deliver the webhook. Redis being down must
    not undo a settled task (waiters time out and re-read the database)."""
    try:
        if task.stream:
            stream_append(task_id=task.public_id, event=event, data=data)
        completion_publish(task_id=task.public_id, status=status, summary=summary)
    except Exception:  # noqa: BLE001
        logger.warning("could not publish completion of %s", task.public_id, exc_info=True)


def task_settle_success(*, task: Task, result: ProviderResult, output_rows: list[TaskOutput],
                        fields: dict | None = None) -> bool:
    """running → succeeded with charge, capture and usage record in one transaction. ``fields``:
    more task columns to write with the status change (which route served it); ``output_rows``:
    the outputs (files already in storage, rows written here; their sizes are billed as usage,
    their facts go to the waiters)."""
    from apps.billing import services as billing_services
    from apps.catalog import services as catalog_services
    from apps.usage import services as usage_services

    charge = catalog_services.price_charge(price_version_id=task.price_version_id, params=task.params, usage=result.usage)
    cost = charge.amount_micros
    if cost > task.quote_micros:
        # The hold is the promise made to the customer: never capture above it.
        logger.warning("charge %s above quote %s for %s; capped", cost, task.quote_micros, task.public_id)
        cost = task.quote_micros
    now = timezone.now()
    processing_ms = int((now - (task.started_at or task.created_at)).total_seconds() * 1000)
    finish_reason = next((o.meta.get("finish_reason") for o in result.outputs if o.meta.get("finish_reason")), None)
    done = {"usage": result.usage, "finish_reason": finish_reason or "stop"}
    output_bytes = sum(row.size_bytes for row in output_rows)
    simulated = bool((fields or {}).get("simulated", task.simulated))
    usage = {"task_id": task.public_id, "organization": task.organization, "api_key": task.api_key,
             "model_id": task.model_id, "price_version_id": task.price_version_id,
             "quantities": charge.quantities or result.usage, "processing_ms": processing_ms,
             "output_bytes": output_bytes, "status": TaskStatus.SUCCEEDED}
    succeeded = {"message": "succeeded", "progress": 100, "usage": result.usage, "cost_micros": cost,
                 "provider_job": task.provider_job, "finished_at": now, **(fields or {})}
    expected = billing_services.HoldFacts(amount_micros=task.quote_micros, organization_id=task.organization_id,
                                          api_key_id=task.api_key_id)  # the task row says what its hold is

    def settle(at_commit: bool) -> bool:
        with transaction.atomic():
            # Outputs first: a lost compare-and-set below keeps them, as a separate write did.
            outputs_rows_save(output_rows, at_commit=at_commit)
            outputs = outputs_summary(output_rows)
            summary = None if outputs is None else {"usage": result.usage, "simulated": simulated, "outputs": outputs}
            # The compare-and-set proves this is the one settlement: the record needs no savepoint.
            if not task_transition(task_pk=task.pk, from_statuses=[TaskStatus.RUNNING], to_status=TaskStatus.SUCCEEDED,
                                   record_event=False, at_commit=at_commit, **succeeded):
                return False
            record = usage_services.usage_record_create(cost_micros=cost, defer_rollup=True, savepoint=False, **usage)
            webhook_schedule(task=task)
            # Last, the two rows every task of the organization updates: the capture ends with
            # the balance row lock, then the usage roll-up; both are held until commit (always
            # in this order: balance, then roll-up).
            capture = billing_services.hold_capture(task_id=task.public_id, amount_micros=cost, expected=expected,
                                                    at_commit=at_commit)
            if capture.captured_micros != cost:
                raise _ChargedOtherwise()
            usage_services.usage_rollup_add(record=record)
            transaction.on_commit(lambda: _announce(task, status=TaskStatus.SUCCEEDED, event="done", data=done,
                                                    summary=summary))
        return True

    try:
        # The usual case sent as the COMMIT (on PostgreSQL one prepared statement: see
        # apps/core/postgresql): text outputs, the task's and the hold's compare-and-sets, the
        # record, entries, balance and roll-up, one round trip. Anything not as expected fails
        # it, and nothing of it is kept...
        return settle(at_commit=True)
    except (statements.RowUnchanged, IntegrityError):
        pass
    try:
        # ... then each statement runs and is checked in turn (a lost race, a hold resolved
        # otherwise, outputs kept from an earlier attempt).
        return settle(at_commit=False)
    except _ChargedOtherwise:
        pass
    # The hold was resolved otherwise (billing is the source of truth for what was charged):
    # settle again with the capture first and record what it says.
    with transaction.atomic():
        outputs_rows_save(output_rows)
        if not task_transition(task_pk=task.pk, from_statuses=[TaskStatus.RUNNING], to_status=TaskStatus.SUCCEEDED,
                               record_event=False, **succeeded):
            return False
        capture = billing_services.hold_capture(task_id=task.public_id, amount_micros=cost)
        if capture.captured_micros != cost:
            cost = capture.captured_micros
            Task.objects.filter(pk=task.pk).update(cost_micros=cost)
        # The roll-up outside the record's savepoint, so it follows the capture's balance UPDATE
        # in the commit message, in the fast path's order (balance, then roll-up).
        record = usage_services.usage_record_create(cost_micros=cost, defer_rollup=True, **usage)
        usage_services.usage_rollup_add(record=record)
        webhook_schedule(task=task)
        transaction.on_commit(lambda: _announce(task, status=TaskStatus.SUCCEEDED, event="done", data=done))
    return True


class _ChargedOtherwise(Exception):
    """Rolls back a settle whose capture did not charge the computed cost."""


def task_settle_failure(*, task: Task, code: str, message: str, status: str = TaskStatus.FAILED) -> bool:
    """queued/running → failed|expired|canceled, hold released, nothing charged. ``message``
    may quote the provider: a NUL in it is replaced, as in an output (apps/core/text.py)."""
    from apps.billing import services as billing_services

    message = without_nul(message)

    with transaction.atomic():
        if not task_transition(task_pk=task.pk, from_statuses=ACTIVE_STATUSES, to_status=status, message=message,
                               error_code=code, error_message=message[:2000]):
            return False
        webhook_schedule(task=task)
        billing_services.hold_release(task_id=task.public_id, reason=code)  # last: the balance row lock
        data = {"code": code, "message": message, "status": status}
        transaction.on_commit(lambda: _announce(task, status=status, event="error", data=data))
    return True
