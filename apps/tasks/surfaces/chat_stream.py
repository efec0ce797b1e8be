"""Engine stream events → OpenAI-style ``data: {chunk}`` lines ending in ``data: [DONE]``.
Each content chunk carries the engine's event id, so a client can resume with Last-Event-ID."""
from __future__ import annotations

from typing import Any, AsyncIterator

from apps.tasks.surfaces import engine
from apps.tasks.surfaces.sse import sse_data
from apps.tasks.surfaces.task_shapes import usage_tokens

DONE = "data: [DONE]\n\n"


def event_kind(event: Any) -> str | None:
    """The engine's StreamEvent names it ``event``: delta | done | error."""
    return getattr(event, "event", None) or getattr(event, "kind", None)


def event_error(event: Any) -> dict[str, Any]:
    """An ``error`` event as the seed-000 error object (sent as a final ``data:`` line)."""
    error = _event_field(event, "error") or getattr(event, "data", None) or {}
    if not isinstance(error, dict):
        error = {"message": str(error)}
    return {"error": {"message": error.get("message") or "The task failed.", "type": error.get("type") or "provider_error",
                      "code": error.get("code") or "task_failed", "param": None}}


def _event_field(event: Any, *names: str) -> Any:
    data = getattr(event, "data", None) or {}
    for name in names:
        value = getattr(event, name, None)
        if value is None and isinstance(data, dict):
            value = data.get(name)
        if value is not None:
            return value
    return None


async def chat_chunks(task: Any, *, model: str, object_name: str = "chat.completion.chunk",
                      include_usage: bool = False, last_event_id: str | None = None) -> AsyncIterator[str]:
    created = int(task.created_at.timestamp())

    def chunk(choices: list, **extra: Any) -> dict[str, Any]:
        body = {"id": task.public_id, "object": object_name, "created": created, "model": model,
                "system_fingerprint": None, "choices": choices, **extra}
        if include_usage:
            body.setdefault("usage", None)
        return body

    if not last_event_id:
        yield sse_data(chunk([{"index": 0, "delta": {"role": "assistant", "content": ""},
                               "logprobs": None, "finish_reason": None}]))
    async for event in engine.stream_events(task, last_event_id):
        kind = event_kind(event)
        if kind == "delta":
            text = _event_field(event, "text", "delta") or ""
            yield sse_data(chunk([{"index": 0, "delta": {"content": text}, "logprobs": None, "finish_reason": None}]),
                           event_id=getattr(event, "id", None))
        elif kind == "done":
            finish = _event_field(event, "finish_reason") or "stop"
            yield sse_data(chunk([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish}]),
                           event_id=getattr(event, "id", None))
            if include_usage:
                yield sse_data(chunk([], usage=usage_tokens(_event_field(event, "usage") or {})))
            break
        elif kind == "error":
            yield sse_data(event_error(event))
            break
    yield DONE
