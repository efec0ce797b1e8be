"""Reading a streamed task's events from its Redis Stream (written by the actor):
``delta`` {text}, then ``done`` {usage, finish_reason} or ``error`` {code, message}.
Resumable: pass the last seen event id (SSE ``Last-Event-ID``)."""
from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from apps.core.redis import async_redis_client
from apps.tasks.channels import stream_key
from apps.tasks.models import FINISHED_STATUSES, Task, TaskStatus

BLOCK_MS = 5_000
TERMINAL_EVENTS = ("done", "error")
# A Redis Stream entry id: milliseconds, then an optional sequence, each an unsigned 64-bit number.
_EVENT_ID = re.compile(r"([0-9]{1,20})(?:-([0-9]{1,20}))?")  # not \d: it takes any script\'s digits
_ID_PART_MAX = 2**64 - 1


def stream_cursor(last_event_id: str | None) -> str | None:
    """A client's ``Last-Event-ID`` as a cursor of a task's stream (None: from the start).
    Raises ``ValueError`` for what no stream could have given: Redis refuses it, and the
    response would break after its headers were sent, its task already billed."""
    if last_event_id is None or not last_event_id.strip():
        return None
    match = _EVENT_ID.fullmatch(last_event_id.strip())
    if match is None or any(part is not None and int(part) > _ID_PART_MAX for part in match.groups()):
        raise ValueError(last_event_id)
    return match.group(0)


@dataclass(frozen=True)
class StreamEvent:
    id: str
    event: str  # delta | done | error
    data: dict[str, Any]


async def _synthesized_end(task_id: str) -> StreamEvent | None:
    """The stream is gone or was never written (expired, or the task was not streamed) but the
    task finished: end with what the database knows."""
    task = await Task.objects.aget(public_id=task_id)
    if task.status not in FINISHED_STATUSES:
        return None
    if task.status == TaskStatus.SUCCEEDED:
        texts = [o.text async for o in task.outputs.all() if o.text is not None]
        return StreamEvent("0-1", "done", {"usage": task.usage, "finish_reason": "stop", "text": "".join(texts)})
    return StreamEvent("0-1", "error", {"code": task.error_code, "message": task.error_message, "status": task.status})


async def task_stream_events(*, task_id: str, last_event_id: str | None = None) -> AsyncIterator[StreamEvent]:
    """Yields events after ``last_event_id`` until ``done`` or ``error``. A client that stops
    reading changes nothing for the task or its billing."""
    client = async_redis_client()
    key = stream_key(task_id)
    cursor = last_event_id or "0-0"
    try:
        while True:
            batches = await client.xread({key: cursor}, block=BLOCK_MS, count=100)
            if not batches:
                if not await client.exists(key):
                    end = await _synthesized_end(task_id)
                    if end is not None:
                        yield end
                        return
                else:
                    task = await Task.objects.aget(public_id=task_id)
                    if task.status in FINISHED_STATUSES and not task.stream:
                        return
                continue
            for entry_id, fields in batches[0][1]:
                cursor = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                event = fields[b"event"].decode()
                yield StreamEvent(cursor, event, json.loads(fields[b"data"]))
                if event in TERMINAL_EVENTS:
                    return
    finally:
        await client.aclose()
