"""Seeds 003/004: OpenAI-compatible ``POST /v1/chat/completions`` and ``/chat/completions``."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from apps.core.errors import ApplicationError
from apps.tasks.surfaces import engine
from apps.tasks.surfaces.auth import key_authenticate
from apps.tasks.surfaces.chat_stream import chat_chunks
from apps.tasks.surfaces.endpoint import api_endpoint
from apps.tasks.surfaces.inputs import is_true, last_event_id, request_params, require_model
from apps.tasks.surfaces.respond import respond, stream_headers
from apps.tasks.surfaces.snapshot import TaskSnapshot
from apps.tasks.surfaces.sse import sse_response
from apps.tasks.surfaces.task_shapes import usage_tokens

STREAM_OPTIONS_NOT_OBJECT = "Invalid type for 'stream_options': expected an object."
# Transport fields of the OpenAI request; the rest are model parameters for the catalog schema.
_TRANSPORT = ("stream", "stream_options", "user", "store", "metadata")


def chat_params(body: dict[str, Any]) -> dict[str, Any]:
    params = {k: v for k, v in body.items() if k not in _TRANSPORT and v is not None}
    if "max_completion_tokens" in params:  # the newer OpenAI spelling of max_tokens
        params.setdefault("max_tokens", params.pop("max_completion_tokens"))
        params.pop("max_completion_tokens", None)
    if params.get("n") == 1:
        params.pop("n")
    return params


def chat_completion(snap: TaskSnapshot, model: str) -> dict[str, Any]:
    return {
        "id": snap.id, "object": "chat.completion", "created": snap.created, "model": model,
        "system_fingerprint": None,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": snap.text, "refusal": None},
                     "logprobs": None, "finish_reason": snap.finish_reason}],
        "usage": usage_tokens(snap.usage),
    }


@api_endpoint("POST")
async def chat_completions(request: HttpRequest) -> HttpResponse:
    api_key = await key_authenticate(request)
    body, _ = request_params(request)
    model = require_model(body)
    stream = is_true(body.get("stream", False))
    stream_options = body.get("stream_options") or {}
    if not isinstance(stream_options, dict):
        raise ApplicationError(STREAM_OPTIONS_NOT_OBJECT, code="invalid_type", param="stream_options")
    include_usage = bool(stream_options.get("include_usage"))
    resume_after = last_event_id(request) if stream else None
    submitted = await engine.submit(request, api_key=api_key, model=model, params=chat_params(body),
                                    stream=stream, surface="openai", waits=not stream)
    if stream:
        response = sse_response(chat_chunks(submitted.task, model=model, include_usage=include_usage,
                                            last_event_id=resume_after))
        return stream_headers(response, submitted)
    return await respond(request, submitted, model, lambda snap: chat_completion(snap, model))
