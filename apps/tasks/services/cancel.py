from __future__ import annotations

from apps.accounts.models import Organization
from apps.core.errors import CONFLICT, ApplicationError
from apps.tasks.models import Task, TaskStatus
from apps.tasks.selectors import task_get
from apps.tasks.services.settle import task_settle_failure

TASK_NOT_CANCELABLE = "Task {task_id} is already {status} and cannot be canceled."
CANCELED_MESSAGE = "Canceled by the caller."


def task_cancel(*, organization: Organization, task_id: str) -> Task:
    """queued/running → canceled with the hold released. A provider call already under way is
    not interrupted; its result is discarded and nothing is charged (the CAS to succeeded fails)."""
    task = task_get(organization=organization, task_id=task_id)
    if not task_settle_failure(task=task, code="task_canceled", message=CANCELED_MESSAGE, status=TaskStatus.CANCELED):
        task.refresh_from_db()
        if task.status != TaskStatus.CANCELED:
            raise ApplicationError(TASK_NOT_CANCELABLE.format(task_id=task_id, status=task.status),
                                   code="task_not_cancelable", type=CONFLICT, status=409)
    task.refresh_from_db()
    return task
