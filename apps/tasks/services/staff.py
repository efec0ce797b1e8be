"""Staff actions from the admin: retry a finished task (as a new task with a new hold) and
refund a charged task (through billing's ledger, once per task)."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.errors import CONFLICT, ApplicationError
from apps.tasks.models import Task, TaskStatus
from apps.tasks.services.transitions import task_event_add

NOT_RETRYABLE = "Only failed, expired or canceled tasks can be retried."
NOT_REFUNDABLE = "Only a charged task can be refunded."


def task_retry(*, task: Task) -> Task:
    """Status moves forward only, so a retry is a new task with the same request."""
    from apps.billing import services as billing_services
    from apps.tasks.actors import task_run

    if task.status not in (TaskStatus.FAILED, TaskStatus.EXPIRED, TaskStatus.CANCELED):
        raise ApplicationError(NOT_RETRYABLE, code="task_not_retryable", type=CONFLICT, status=409)
    retry = Task(
        organization=task.organization, api_key=task.api_key, model_id=task.model_id, task_kind=task.task_kind,
        params=task.params, input_files=task.input_files, quote_micros=task.quote_micros,
        price_version_id=task.price_version_id, formula_inputs=task.formula_inputs, quote_lines=task.quote_lines,
        deadline_at=timezone.now() + timedelta(seconds=settings.TOLLGATE_TASK_DEADLINE_SECONDS),
        webhook_url=task.webhook_url, surface="admin_retry", retry_of=task,
    )
    with transaction.atomic():
        retry.save()
        billing_services.credit_hold(organization=task.organization, api_key=task.api_key, task_id=retry.public_id,
                                     amount_micros=retry.quote_micros)
        task_event_add(task_pk=retry.pk, status=retry.status, message=f"retry of {task.public_id}")
        task_event_add(task_pk=task.pk, message=f"retried as {retry.public_id}")
        transaction.on_commit(lambda: task_run.send(retry.public_id, retry.organization_id))
    return retry


def task_refund(*, task: Task, actor=None):
    from apps.billing import services as billing_services

    if task.status != TaskStatus.SUCCEEDED or not task.cost_micros:
        raise ApplicationError(NOT_REFUNDABLE, code="task_not_refundable", type=CONFLICT, status=409)
    from apps.billing.services.ledger import entry_find

    idempotency_key = f"refund:{task.public_id}"
    with transaction.atomic():
        # The task row lock serializes refunds of one task (then the balance lock, as in the
        # settle): a repeated refund returns the first entry and adds no second timeline event.
        Task.objects.select_for_update().filter(pk=task.pk).exists()
        existing = entry_find(organization_id=task.organization_id, idempotency_key=idempotency_key)
        if existing is not None:
            return existing
        entry = billing_services.credit_grant(
            organization=task.organization, amount_micros=task.cost_micros, kind="refund",
            idempotency_key=idempotency_key, reason=f"Refund of {task.public_id}", actor=actor,
            details={"task_id": task.public_id},
        )
        task_event_add(task_pk=task.pk, message="refunded", data={"amount_micros": task.cost_micros})
    return entry
