"""Seed 000/001's single-call task API: ``POST /api/v1/task`` (JSON or multipart form data)."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from apps.tasks.surfaces import engine
from apps.tasks.surfaces.auth import key_authenticate
from apps.tasks.surfaces.chat_stream import chat_chunks
from apps.tasks.surfaces.endpoint import api_endpoint
from apps.tasks.surfaces.inputs import is_true, last_event_id, request_params, require_model
from apps.tasks.surfaces.respond import respond, stream_headers
from apps.tasks.surfaces.sse import sse_response
from apps.tasks.surfaces.task_shapes import task_body, wants_b64


@api_endpoint("POST")
async def task_create(request: HttpRequest) -> HttpResponse:
    api_key = await key_authenticate(request)
    params, files = request_params(request)
    model = require_model(params)
    stream = is_true(params.pop("stream", False))
    resume_after = last_event_id(request) if stream else None
    submitted = await engine.submit(request, api_key=api_key, model=model, params=params, files=files,
                                    stream=stream, surface="task_api", waits=not stream)
    if stream:
        response = sse_response(chat_chunks(submitted.task, model=model, object_name="task.completion.chunk",
                                            last_event_id=resume_after))
        return stream_headers(response, submitted)
    # Images and audio carry base64 too (seed 000 shows both url and b64_json).
    return await respond(request, submitted, model, lambda snap: task_body(snap, model), with_b64=wants_b64)
