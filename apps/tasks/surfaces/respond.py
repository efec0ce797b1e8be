"""Wait for a submitted task, then answer: the surface's own shape, the seed-000 error of a
failed task, or 202 with a poll URL when it outlives the wait."""
from __future__ import annotations

from typing import Any, Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.tasks.surfaces import engine
from apps.tasks.surfaces.snapshot import FAILED, PENDING, TaskSnapshot
from apps.tasks.surfaces.task_shapes import pending_body

Render = Callable[[TaskSnapshot], "HttpResponse | dict[str, Any]"]


async def respond(request: HttpRequest, submitted: engine.Submitted, model: str, render: Render, *,
                  with_b64: "bool | Callable[[str], bool]" = False, with_bytes: bool = False) -> HttpResponse:
    snap = await engine.wait_snapshot(submitted, request, with_b64=with_b64, with_bytes=with_bytes)
    if snap.state == PENDING:
        response: HttpResponse = JsonResponse(pending_body(snap, model), status=202)
        response["Location"] = f"/v1/tasks/{snap.id}"
    elif snap.state == FAILED:
        exc = engine.failure_error(snap)
        response = JsonResponse(exc.body(), status=exc.status)
    else:
        rendered = render(snap)
        response = rendered if isinstance(rendered, HttpResponse) else JsonResponse(rendered)
    return engine.decorate(response, replayed=submitted.replayed, simulated=snap.simulated)


def stream_headers(response: HttpResponse, submitted: engine.Submitted) -> HttpResponse:
    return engine.decorate(response, replayed=submitted.replayed,
                           simulated=bool(getattr(submitted.task, "simulated", False)))
