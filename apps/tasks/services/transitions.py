"""Compare-and-set status changes: forward only, each recorded on the timeline."""
from __future__ import annotations

from typing import Any, Iterable

from django.utils import timezone

from apps.core import statements
from apps.tasks.models import FINISHED_STATUSES, Task, TaskEvent


def task_event_add(*, task_pk: int, status: str = "", message: str = "", data: dict | None = None) -> None:
    TaskEvent.objects.create(task_id=task_pk, status=status, message=message[:500], data=data or {})


def task_transition(*, task_pk: int, from_statuses: Iterable[str], to_status: str, message: str = "",
                    record_event: bool = True, at_commit: bool = False, **fields: Any) -> bool:
    """Moves the task to ``to_status`` only if it is still in one of ``from_statuses``.
    Returns False when another process got there first (the caller then does nothing).
    ``record_event=False`` for a routine step the timeline derives from the task's own
    timestamps (selectors.task_timeline). ``at_commit``: the compare-and-set goes with the
    COMMIT (``statements.at_commit``) and returns True; a lost race fails the commit instead."""
    now = timezone.now()
    fields["updated_at"] = now
    if to_status in FINISHED_STATUSES:
        fields.setdefault("finished_at", now)
        fields.setdefault("lease_until", None)
    changed = statements.update(Task, where={"pk": task_pk, "status__in": list(from_statuses)},
                                values={"status": to_status, **fields}, at_commit=at_commit)
    if changed and record_event:
        task_event_add(task_pk=task_pk, status=to_status, message=message)
    return bool(changed)
