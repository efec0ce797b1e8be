"""Reads of tasks and plans. Every task read takes the organization explicitly: another
organization's task is "not found", never "forbidden"."""
from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache

from apps.accounts.models import Organization
from apps.core.errors import NOT_FOUND, ApplicationError
from apps.tasks.models import OrganizationRateLimitPlan, Task

TASK_NOT_FOUND = "Task not found: {task_id}"
INVALID_CURSOR = "Invalid cursor."
MAX_LIST_LIMIT = 100
PLAN_CACHE_SECONDS = 60


def task_get(*, organization: Organization, task_id: str) -> Task:
    task = (Task.objects.select_related("organization", "api_key").prefetch_related("outputs")
            .filter(organization=organization, public_id=task_id).first())
    if task is None:
        raise ApplicationError(TASK_NOT_FOUND.format(task_id=task_id), code="task_not_found", type=NOT_FOUND,
                               status=404, param="task_id")
    return task


def _cursor_decode(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (ValueError, UnicodeDecodeError):
        raise ApplicationError(INVALID_CURSOR, code="invalid_cursor", param="cursor") from None


def _cursor_encode(pk: int) -> str:
    return base64.urlsafe_b64encode(str(pk).encode()).decode().rstrip("=")


def task_list(*, organization: Organization, status: str | None = None, model: str | None = None,
              api_key=None, since: datetime | None = None, until: datetime | None = None,
              cursor: str | None = None, limit: int = 20) -> tuple[list[Task], str | None]:
    """Newest first; ``next_cursor`` is None on the last page. ``api_key`` is an ApiKey or its pk."""
    limit = max(1, min(int(limit), MAX_LIST_LIMIT))
    tasks = Task.objects.filter(organization=organization).prefetch_related("outputs").order_by("-pk")
    if status:
        tasks = tasks.filter(status=status)
    if model:
        tasks = tasks.filter(model_id=model)
    if api_key is not None:
        tasks = tasks.filter(api_key_id=getattr(api_key, "pk", api_key))
    if since:
        tasks = tasks.filter(created_at__gte=since)
    if until:
        tasks = tasks.filter(created_at__lt=until)
    if cursor:
        tasks = tasks.filter(pk__lt=_cursor_decode(cursor))
    page = list(tasks[: limit + 1])
    next_cursor = _cursor_encode(page[limit - 1].pk) if len(page) > limit else None
    return page[:limit], next_cursor


@dataclass(frozen=True)
class PlanLimits:
    generation_per_second: int
    polling_per_second: int
    ban_seconds: int
    max_running_tasks: int


def default_plan_limits() -> PlanLimits:
    return PlanLimits(settings.TOLLGATE_RATE_LIMIT_GENERATION_PER_SECOND, settings.TOLLGATE_RATE_LIMIT_POLLING_PER_SECOND,
                      settings.TOLLGATE_RATE_LIMIT_BAN_SECONDS, settings.TOLLGATE_MAX_RUNNING_TASKS)


def plan_cache_key(organization_id: int) -> str:
    return f"tasks:plan:{organization_id}"


# Every API request and every claim asks for the plan: each process keeps it this long too
# (another process sees an admin change within this time; this one at once, see plan_forget).
PLAN_LOCAL_SECONDS = 1.0
_local_plans: dict[int, tuple[float, PlanLimits]] = {}


def plan_forget(organization_id: int) -> None:
    """After a plan change: the shared entry and this process's copy."""
    cache.delete(plan_cache_key(organization_id))
    _local_plans.pop(organization_id, None)


def plan_local_clear() -> None:
    _local_plans.clear()


def rate_limit_plan_for(*, organization_id: int) -> PlanLimits:
    """The organization's plan (cached briefly; the admin clears the entry on change)."""
    local = _local_plans.get(organization_id)
    now = time.monotonic()
    if local is not None and local[0] > now:
        return local[1]
    limits = _plan_shared(organization_id)
    _local_plans[organization_id] = (now + PLAN_LOCAL_SECONDS, limits)
    return limits


def _plan_shared(organization_id: int) -> PlanLimits:
    key = plan_cache_key(organization_id)
    cached = cache.get(key)
    if cached is not None:
        return PlanLimits(*cached)
    row = OrganizationRateLimitPlan.objects.filter(organization_id=organization_id).select_related("plan").first()
    limits = default_plan_limits() if row is None else PlanLimits(
        row.plan.generation_per_second, row.plan.polling_per_second, row.plan.ban_seconds, row.plan.max_running_tasks)
    cache.set(key, [limits.generation_per_second, limits.polling_per_second, limits.ban_seconds,
                    limits.max_running_tasks], PLAN_CACHE_SECONDS)
    return limits


def finished_task_ids(task_ids: list[str]) -> set[str]:
    """TOLLGATE_FINISHED_TASKS_CHECK for check_ledger: which of these tasks have ended, from the
    task table itself (failed and canceled tasks have no usage record)."""
    from apps.tasks.models import FINISHED_STATUSES, Task

    return set(Task.objects.filter(public_id__in=task_ids, status__in=FINISHED_STATUSES).values_list("public_id", flat=True))


def webhook_delivery_list(*, organization, limit: int = 20):
    """The organization's latest webhook delivery attempts, newest first."""
    from apps.tasks.models import WebhookDelivery

    return (WebhookDelivery.objects.filter(task__organization=organization)
            .select_related("task").order_by("-created_at", "-pk")[:limit])


@dataclass(frozen=True)
class TimelineEntry:
    created_at: datetime
    status: str
    message: str
    data: dict


def task_timeline(*, task) -> list[TimelineEntry]:
    """The task's timeline: the routine steps come from its own timestamps (created, running,
    succeeded: writing a row for each cost three database round trips per task), the rest from
    its stored events (failover, retries, provider jobs, failures, staff actions)."""
    from apps.tasks.models import TaskStatus

    stored = [TimelineEntry(e.created_at, e.status, e.message, e.data) for e in task.events.all()]
    entries = [TimelineEntry(task.created_at, TaskStatus.QUEUED, "created",
                             {"quote_micros": task.quote_micros, "surface": task.surface})]
    if task.started_at:
        entries.append(TimelineEntry(task.started_at, TaskStatus.RUNNING, "running", {}))
    if task.status == TaskStatus.SUCCEEDED and task.finished_at and not any(e.status == task.status for e in stored):
        entries.append(TimelineEntry(task.finished_at, TaskStatus.SUCCEEDED, "succeeded", {}))
    return sorted(entries + stored, key=lambda e: e.created_at)
