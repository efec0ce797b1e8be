"""Redis names and publishing: completion pub/sub and the per-task stream of a streamed task."""
from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from apps.core.redis import redis_client


def completion_channel(task_id: str) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:task:{task_id}:done"


def stream_key(task_id: str) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:task:{task_id}:stream"


def completion_publish(*, task_id: str, status: str, summary: dict[str, Any] | None = None) -> None:
    """Wakes every waiter of the task. ``summary``: the finished task's public facts, so a waiter
    that registered before the task existed answers without reading it (waiting.Waiter);
    the others re-read the task from the database."""
    redis_client().publish(completion_channel(task_id), json.dumps({"status": status, "summary": summary}))


def stream_append(*, task_id: str, event: str, data: dict[str, Any]) -> str:
    """XADD one event (``delta`` | ``done`` | ``error``); the stream expires after a TTL."""
    client = redis_client()
    key = stream_key(task_id)
    pipe = client.pipeline(transaction=False)
    pipe.xadd(key, {"event": event, "data": json.dumps(data)})
    pipe.expire(key, settings.TOLLGATE_TASK_STREAM_TTL_SECONDS)
    entry_id, _ = pipe.execute()
    return entry_id.decode() if isinstance(entry_id, bytes) else entry_id
