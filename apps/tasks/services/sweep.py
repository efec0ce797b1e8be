"""The periodic sweep: re-send lost messages, expire tasks past their deadline, purge old outputs."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone

from apps.tasks.models import ACTIVE_STATUSES, Task, TaskOutput, TaskStatus
from apps.tasks.services.inputs import inputs_delete
from apps.tasks.services.settle import task_settle_failure

logger = logging.getLogger(__name__)
DEADLINE_MESSAGE = "The task did not finish before its deadline."
BATCH = 500


@dataclass
class SweepReport:
    resent: int = 0
    expired: int = 0
    purged: int = 0


def sweep() -> SweepReport:
    report = SweepReport()
    report.expired = _expire_past_deadline()
    report.resent = _resend_lost()
    report.purged = _purge_outputs()
    return report


def _expire_past_deadline() -> int:
    # Async jobs keep their hold until the deadline: the provider may still bill until then.
    count = 0
    for task in Task.objects.filter(status__in=ACTIVE_STATUSES, deadline_at__lte=timezone.now())[:BATCH]:
        count += task_settle_failure(task=task, code="task_expired", message=DEADLINE_MESSAGE, status=TaskStatus.EXPIRED)
    return count


def _resend_lost() -> int:
    """Active, untouched for TOLLGATE_TASK_STALE_SECONDS and no live lease: its message is gone
    (on-commit send lost, worker killed). Re-sending is safe: the claim and the settle are CAS."""
    from apps.tasks.actors import task_poll, task_run

    now = timezone.now()
    stale = now - timedelta(seconds=settings.TOLLGATE_TASK_STALE_SECONDS)
    candidates = (Task.objects.filter(status__in=ACTIVE_STATUSES, updated_at__lt=stale)
                  .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now)).values_list("pk", "public_id", "provider_job", "organization_id"))
    count = 0
    for pk, public_id, job, organization_id in candidates[:BATCH]:
        # Touch first, so two sweeps (or the next one) do not send it again right away.
        if not Task.objects.filter(pk=pk, updated_at__lt=stale).update(updated_at=now):
            continue
        if job is not None:
            task_poll.send(public_id)
        else:
            task_run.send(public_id, organization_id)
        count += 1
    if count:
        logger.info("sweep re-sent %s task messages", count)
    return count


def _purge_outputs() -> int:
    cutoff = timezone.now() - timedelta(days=settings.TOLLGATE_OUTPUT_RETENTION_DAYS)
    count = 0
    for output in TaskOutput.objects.filter(created_at__lt=cutoff, purged_at__isnull=True).exclude(file="")[:BATCH]:
        default_storage.delete(output.file.name)
        TaskOutput.objects.filter(pk=output.pk).update(purged_at=timezone.now())
        count += 1
    for task in Task.objects.filter(finished_at__lt=cutoff).exclude(input_files={})[:BATCH]:
        inputs_delete(stored=task.input_files)
        Task.objects.filter(pk=task.pk).update(input_files={})
    return count
