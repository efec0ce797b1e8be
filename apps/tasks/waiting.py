"""Waiting for a task without a thread per waiter.

One subscriber per process (``CompletionHub``: a thread with one Redis connection, pattern-
subscribed to every task's completion channel) wakes the waiting coroutines of the tasks it
hears about. A waiter registers first and reads the database second, so a completion between
the two is never missed; it re-reads the database every ``RECHECK_SECONDS`` anyway (Redis
restarted, a message lost). Before, each waiter opened its own Redis connection and
subscription: measured, that was a large part of a waiting request's cost.

A surface that submits and then waits registers a ``Waiter`` under the task's id *before* the
task exists, so its first database read is not needed; and a success message carries the
task's public facts (``channels.completion_publish``), so the waiter answers without reading
the task again. Either shortcut falls back to the database reads above."""
from __future__ import annotations

import asyncio
import atexit
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import redis
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings

from apps.tasks.channels import completion_channel
from apps.tasks.models import FINISHED_STATUSES, Task

logger = logging.getLogger(__name__)
# A safety net: re-read the database this often even without a message (Redis restarted...).
RECHECK_SECONDS = 5.0
# Until the hub's subscription is up (the first request of a process), poll this often.
STARTING_RECHECK_SECONDS = 0.05


class CompletionHub:
    def __init__(self) -> None:
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Future]]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()

    def register(self, task_id: str) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._lock:
            self._waiters.setdefault(completion_channel(task_id), set()).add((loop, future))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="task-completion-hub", daemon=True)
                self._thread.start()
        return future

    def unregister(self, task_id: str, future: asyncio.Future) -> None:
        channel = completion_channel(task_id)
        with self._lock:
            waiters = self._waiters.get(channel)
            if waiters is not None:
                waiters.discard((future.get_loop(), future))
                if not waiters:
                    del self._waiters[channel]

    def _wake(self, channel: str, data: bytes | str | None) -> None:
        with self._lock:
            waiters = list(self._waiters.get(channel, ()))
        for loop, future in waiters:
            try:
                loop.call_soon_threadsafe(_resolve, future, data)
            except RuntimeError:  # that loop is closed: its waiter is gone
                pass

    def _run(self) -> None:
        pattern = completion_channel("*")
        while True:
            try:
                client = redis.Redis.from_url(settings.REDIS_URL, health_check_interval=30)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(pattern)
                self.ready.set()
                for message in pubsub.listen():
                    if message and message.get("type") == "pmessage":
                        channel = message["channel"]
                        self._wake(channel.decode() if isinstance(channel, bytes) else channel, message.get("data"))
            except Exception:  # noqa: BLE001 - waiters fall back to re-reading the database
                self.ready.clear()
                if _stopping.is_set():
                    return  # the process is exiting (its Redis may already be gone)
                logger.warning("task completion hub: Redis subscription lost; reconnecting", exc_info=True)
                time.sleep(1.0)


def _resolve(future: asyncio.Future, data: bytes | str | None = None) -> None:
    if not future.done():
        future.set_result(data)


def _summary(data: Any) -> dict | None:
    """The finished task's facts from a completion message; None for a bare status (or junk)."""
    try:
        message = json.loads(data)
    except (TypeError, ValueError):
        return None
    summary = message.get("summary") if isinstance(message, dict) else None
    return summary if isinstance(summary, dict) else None


_hub = CompletionHub()
_stopping = threading.Event()
atexit.register(_stopping.set)


def _load_sync(task_id: str) -> Task:
    from apps.core.db import connection_release

    try:
        return Task.objects.select_related("organization").get(public_id=task_id)
    finally:
        connection_release()  # a waiter holds no pooled connection between checks


async def _load(task_id: str) -> Task:
    return await sync_to_async(_load_sync)(task_id)


class Waiter:
    """A registration for one task's completion, made before the task can finish (by id, before
    it is submitted): a completion is then never missed, and no first read is needed."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self.future = _hub.register(task_id)

    def renew(self) -> None:
        _hub.unregister(self.task_id, self.future)
        self.future = _hub.register(self.task_id)

    def close(self) -> None:
        _hub.unregister(self.task_id, self.future)


@dataclass
class Waited:
    task: Task  # as last read (or as submitted, when ``summary`` says how it finished)
    summary: dict | None = None  # the success message's facts (channels.completion_publish)


async def task_wait_for(*, task_id: str, timeout_seconds: float, waiter: Waiter | None = None,
                        submitted: Task | None = None) -> Waited:
    """Waits until the task finished or ``timeout_seconds`` passed (then it is still active).
    ``waiter`` registered before ``submitted`` was created: the task is not read first, and a
    success message with a summary ends the wait without reading it at all."""
    deadline = time.monotonic() + max(timeout_seconds, 0.0)
    pre_registered = waiter is not None and submitted is not None
    waiter = waiter or Waiter(task_id)
    try:
        task = submitted if pre_registered else await _load(task_id)
        while task.status not in FINISHED_STATUSES:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            recheck = RECHECK_SECONDS if _hub.ready.is_set() else STARTING_RECHECK_SECONDS
            try:
                await asyncio.wait_for(asyncio.shield(waiter.future), timeout=min(remaining, recheck))
            except asyncio.TimeoutError:
                pass
            if waiter.future.done():  # woken: wait for the next message only if the task is still active
                summary = _summary(waiter.future.result())
                if summary is not None and pre_registered:
                    return Waited(task=task, summary=summary)
                waiter.renew()
            task = await _load(task_id)
        return Waited(task=task)
    finally:
        waiter.close()


async def task_wait(*, task_id: str, timeout_seconds: float) -> Task:
    """The task, once finished or when ``timeout_seconds`` have passed (then still active)."""
    return (await task_wait_for(task_id=task_id, timeout_seconds=timeout_seconds)).task


def task_wait_sync(*, task_id: str, timeout_seconds: float) -> Task:
    """For tests and management commands (blocks a thread)."""
    return async_to_sync(task_wait)(task_id=task_id, timeout_seconds=timeout_seconds)
