"""Thin, idempotent actors: ids in, services do the work (apps.tasks.services)."""
import dramatiq
from django.conf import settings

TASKS_QUEUE = "tasks"
WEBHOOKS_QUEUE = "webhooks"
_RUN_OPTIONS = {
    "queue_name": TASKS_QUEUE,
    # The engine counts provider retries itself (Task.attempts) and settles the task when they
    # run out; Dramatiq's own budget is a little larger so that count always decides.
    "max_retries": settings.TOLLGATE_TASK_MAX_RETRIES + 3,
    "min_backoff": settings.TOLLGATE_TASK_RETRY_MIN_BACKOFF_MS,
    "max_backoff": settings.TOLLGATE_TASK_RETRY_MAX_BACKOFF_MS,
    "time_limit": settings.TOLLGATE_TASK_TIME_LIMIT_SECONDS * 1000,
}


@dramatiq.actor(**_RUN_OPTIONS)
def task_run(task_id: str, organization_id: int | None = None) -> None:
    """``organization_id``: the task's, when the sender knows it (the worker then reads and
    claims the task in one statement); messages without it work as well."""
    from apps.tasks.services import task_execute

    task_execute(task_id=task_id, organization_id=organization_id)


@dramatiq.actor(**_RUN_OPTIONS)
def task_poll(task_id: str) -> None:
    from apps.tasks.services import task_execute

    task_execute(task_id=task_id, poll=True)


@dramatiq.actor(queue_name=WEBHOOKS_QUEUE, max_retries=3, time_limit=60_000)
def webhook_deliver(delivery_id: int) -> None:
    from apps.tasks.services.webhooks import webhook_deliver_attempt

    webhook_deliver_attempt(delivery_id=delivery_id)


@dramatiq.actor(queue_name=TASKS_QUEUE, max_retries=0, time_limit=300_000)
def tasks_sweep() -> None:
    from apps.tasks.services import sweep

    sweep()
