"""Plain snapshots of a task that the response shapes read, so the shapes are pure functions
(no ORM in async code, easy to test)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


@dataclass
class OutputSnapshot:
    kind: str  # text | image | audio | video | json
    mime_type: str
    text: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    url: str | None = None
    expires_at: int | None = None
    b64: str | None = None  # filled only when the surface asked for it
    data: bytes | None = None  # filled only when the surface returns the bytes themselves


@dataclass
class TaskSnapshot:
    id: str
    model: str  # canonical "provider/model"
    task_kind: str
    created: int  # unix seconds
    state: str  # PENDING | SUCCEEDED | FAILED
    status: str  # the engine's own status word
    usage: dict[str, Any] = field(default_factory=dict)
    outputs: list[OutputSnapshot] = field(default_factory=list)
    error_code: str | None = None
    error_message: str | None = None
    simulated: bool = False
    progress: int | None = None

    @property
    def text(self) -> str:
        return "".join(o.text or "" for o in self.outputs if o.kind in ("text", "json"))

    @property
    def finish_reason(self) -> str:
        for output in self.outputs:
            if output.meta.get("finish_reason"):
                return str(output.meta["finish_reason"])
        return "stop"

    def files(self, *kinds: str) -> list[OutputSnapshot]:
        return [o for o in self.outputs if o.kind in kinds or (not kinds and o.kind not in ("text", "json"))]
