"""Waiting for a task without a thread per waiter: a Redis pub/sub subscription per task
(the actor publishes on completion), checked against the database after subscribing so a
completion between "check" and "subscribe" is never missed."""
from __future__ import annotations

import asyncio
import time

from asgiref.sync import async_to_sync, sync_to_async

from apps.core.redis import async_redis_client
from apps.tasks.channels import completion_channel
from apps.tasks.models import FINISHED_STATUSES, Task

# A safety net: re-read the database this often even without a message (Redis restarted...).
RECHECK_SECONDS = 5.0


def _load_sync(task_id: str) -> Task:
    from apps.core.db import connection_release

    try:
        return Task.objects.select_related("organization").get(public_id=task_id)
    finally:
        connection_release()  # a waiter holds no pooled connection between checks


async def _load(task_id: str) -> Task:
    return await sync_to_async(_load_sync)(task_id)


async def task_wait(*, task_id: str, timeout_seconds: float) -> Task:
    """The task, once finished or when ``timeout_seconds`` have passed (then still active)."""
    deadline = time.monotonic() + max(timeout_seconds, 0.0)
    client = async_redis_client()
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(completion_channel(task_id))
        task = await _load(task_id)
        while task.status not in FINISHED_STATUSES:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                await pubsub.get_message(ignore_subscribe_messages=True, timeout=min(remaining, RECHECK_SECONDS))
            except asyncio.CancelledError:
                raise
            task = await _load(task_id)
        return task
    finally:
        try:
            await pubsub.aclose()
        finally:
            await client.aclose()


def task_wait_sync(*, task_id: str, timeout_seconds: float) -> Task:
    """For tests and management commands (blocks a thread)."""
    return async_to_sync(task_wait)(task_id=task_id, timeout_seconds=timeout_seconds)
