"""Server-sent events responses."""
from __future__ import annotations

import json
from typing import Any, AsyncIterator

from django.http import StreamingHttpResponse


def sse_data(payload: Any, *, event_id: str | None = None) -> str:
    text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    prefix = f"id: {event_id}\n" if event_id else ""
    return f"{prefix}data: {text}\n\n"


def sse_response(events: AsyncIterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass chunks through as they come
    return response
