"""task_wait: pub/sub wake-up without a thread per waiter, DB check after subscribing."""
from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async

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


def test_pre_registered_waiter_answers_from_the_completion_message(funded, api_key, worker, monkeypatch):
    """A waiter registered under the id before the task exists needs no read of the task: the
    success message carries its outputs and usage."""
    from apps.core.ids import new_public_id
    from apps.tasks import waiting
    from apps.tasks.waiting import Waiter, task_wait_for

    loads = []
    real_load = waiting._load_sync
    monkeypatch.setattr(waiting, "_load_sync", lambda task_id: loads.append(task_id) or real_load(task_id))

    async def submit_and_wait():
        waiter = Waiter(new_public_id("task"))
        assert await sync_to_async(waiting._hub.ready.wait)(5)  # subscribed before the task can finish
        submitted = await sync_to_async(task_submit)(api_key=api_key[0], model="test/chat", params={"prompt": "hi"},
                                                     public_id=waiter.task_id)
        task = submitted.task
        assert task.public_id == waiter.task_id
        waited = await task_wait_for(task_id=task.public_id, timeout_seconds=15, waiter=waiter, submitted=task)
        return task, waited, len(loads)

    task, waited, reads = asyncio.run(submit_and_wait())
    assert waited.summary is not None and reads == 0
    stored = task.outputs.get()
    # On PostgreSQL a text output's key is not in the message: it is written with the COMMIT,
    # after the summary was made (only a file's signed URL names its row). SQLite writes it first.
    from django.db import connection

    key = None if connection.vendor == "postgresql" else stored.pk
    assert waited.summary["outputs"] == [{"pk": key, "index": 0, "kind": stored.kind, "mime_type": stored.mime_type,
                                          "text": stored.text, "meta": stored.meta, "file": ""}]
    task.refresh_from_db()
    assert task.status == TaskStatus.SUCCEEDED and waited.summary["usage"] == task.usage


def test_too_large_outputs_are_read_from_the_database():
    from apps.tasks.models import TaskOutput
    from apps.tasks.outputs import SUMMARY_MAX_TEXT_BYTES, outputs_from_summary, outputs_summary

    small = TaskOutput(pk=1, index=0, kind="text", mime_type="text/plain", text="hi", size_bytes=2)
    assert [o.text for o in outputs_from_summary(outputs_summary([small]))] == ["hi"]
    big = TaskOutput(pk=2, index=0, kind="text", mime_type="text/plain", text="x", size_bytes=SUMMARY_MAX_TEXT_BYTES + 1)
    assert outputs_summary([big]) is None
    # A text row needs no key (it was written with the COMMIT); a file's signed URL names its row.
    assert outputs_summary([TaskOutput(index=0, kind="text", mime_type="text/plain", text="hi")])[0]["pk"] is None
    assert outputs_summary([TaskOutput(index=0, kind="image", mime_type="image/png", file="a.png", size_bytes=9)]) is None
