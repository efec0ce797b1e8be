"""task_wait: pub/sub wake-up without a thread per waiter, DB check after subscribing."""
from __future__ import annotations

import asyncio
import time

import pytest

from apps.tasks.models import TaskStatus
from apps.tasks.services import task_submit
from apps.tasks.waiting import task_wait, task_wait_sync

pytestmark = pytest.mark.django_db(transaction=True)


def test_wait_times_out_on_a_queued_task(funded, api_key, broker):
    task = task_submit(api_key=api_key[0], model="test/chat", params={"prompt": "hi"}).task
    started = time.monotonic()
    waited = task_wait_sync(task_id=task.public_id, timeout_seconds=0.3)
    assert waited.status == TaskStatus.QUEUED
    assert 0.3 <= time.monotonic() - started < 2


def test_many_waiters_wake_on_completion(funded, api_key, worker):
    task = task_submit(api_key=api_key[0], model="test/slow", params={"prompt": "hi"}).task

    async def wait_all():
        return await asyncio.gather(*[task_wait(task_id=task.public_id, timeout_seconds=15) for _ in range(20)])

    started = time.monotonic()
    results = asyncio.run(wait_all())
    assert {t.status for t in results} == {TaskStatus.SUCCEEDED}
    assert time.monotonic() - started < 10


def test_wait_on_finished_task_returns_at_once(funded, api_key, worker):
    task = task_submit(api_key=api_key[0], model="test/chat", params={"prompt": "hi"}).task
    assert task_wait_sync(task_id=task.public_id, timeout_seconds=15).status == TaskStatus.SUCCEEDED
    started = time.monotonic()
    assert task_wait_sync(task_id=task.public_id, timeout_seconds=15).status == TaskStatus.SUCCEEDED
    assert time.monotonic() - started < 1
