"""A stand-in engine for translation tests: records what a surface submits and answers with a
prepared snapshot, so request/response shapes are tested without workers or providers."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

from apps.tasks.surfaces.snapshot import SUCCEEDED, OutputSnapshot, TaskSnapshot

PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
MP3_BYTES = b"ID3\x04\x00\x00\x00\x00\x00\x00fake-mp3"


def text_snapshot(text: str = "Paris.", **extra: Any) -> TaskSnapshot:
    return TaskSnapshot(id="task_fake", model="openai/gpt-4", task_kind="chat", created=1700000000, state=SUCCEEDED,
                        status="succeeded", usage={"input_tokens": 10, "output_tokens": 3}, simulated=True,
                        outputs=[OutputSnapshot(kind="text", mime_type="text/plain", text=text,
                                                meta={"finish_reason": "stop"})], **extra)


def file_snapshot(kind: str, task_kind: str, data: bytes, mime_type: str, **extra: Any) -> TaskSnapshot:
    output = OutputSnapshot(kind=kind, mime_type=mime_type, url=f"http://testserver/files/x.{kind}",
                            b64=base64.b64encode(data).decode(), data=data)
    return TaskSnapshot(id="task_fake", model="x/y", task_kind=task_kind, created=1700000000, state=SUCCEEDED,
                        status="succeeded", usage={}, outputs=[output], simulated=True, **extra)


@dataclass
class Event:
    id: str
    event: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeEngine:
    snapshot: TaskSnapshot = field(default_factory=text_snapshot)
    events: list[Event] = field(default_factory=list)
    replayed: bool = False
    error: Exception | None = None
    parameter_names: set[str] | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)

    def install(self, monkeypatch) -> "FakeEngine":
        from apps.tasks.surfaces import engine, param_map

        task = SimpleNamespace(public_id="task_fake", simulated=True, task_kind=self.snapshot.task_kind,
                               created_at=datetime(2023, 11, 14, tzinfo=timezone.utc))

        def task_submit(**kwargs):
            files = kwargs.get("files") or {}
            self.calls.append({**kwargs, "file_bytes": {name: f.read() for name, f in files.items()}})
            if self.error is not None:
                raise self.error
            return SimpleNamespace(task=task, replayed=self.replayed)

        async def wait_snapshot(submitted, request=None, **kwargs):
            return self.snapshot

        async def snapshot(task, request=None, **kwargs):
            return self.snapshot

        async def stream(task, last_event_id=None):
            for event in self.events:
                yield event

        async def task_find(api_key, task_id):
            return task if task_id == "task_fake" else None

        monkeypatch.setattr(engine, "_task_submit", task_submit)
        monkeypatch.setattr(engine, "wait_snapshot", wait_snapshot)
        monkeypatch.setattr(engine, "snapshot", snapshot)
        monkeypatch.setattr(engine, "stream_events", stream)
        monkeypatch.setattr(engine, "task_find", task_find)
        monkeypatch.setattr(param_map, "_parameter_names_sync", lambda model: self.parameter_names)
        return self

    @property
    def last(self) -> dict[str, Any]:
        return self.calls[-1]


def read_stream(response) -> str:
    """The body of a streamed response (async iterator under the async views)."""
    from asgiref.sync import async_to_sync

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(collect)().decode()


def sse_payloads(response) -> list[str]:
    return [line[6:] for line in read_stream(response).splitlines() if line.startswith("data: ")]
