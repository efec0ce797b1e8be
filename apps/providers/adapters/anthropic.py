"""Anthropic Messages API (Claude), non-streaming and named-event SSE streaming.

``request.base_url`` has no version prefix (default ``https://api.anthropic.com``)."""
from __future__ import annotations

from typing import Any

import httpx

from apps.providers.base import ChunkCallback, ProviderError, ProviderRequest, ProviderResult, TaskKind
from apps.providers.http import check, join, json_object, send
from apps.providers.registry import register
from apps.providers.adapters._anthropic_messages import DEFAULT_MAX_TOKENS, messages_body
from apps.providers.adapters._anthropic_reply import AnthropicReply
from apps.providers.adapters._openai_common import error_message, request_id, required_api_key, timeout
from apps.providers.adapters._sse import event_json, interrupted_error, iter_sse_events, open_stream, tolerate_drop_after_reply
from apps.providers.adapters.openai import unsupported_task_error

PROVIDER = "Anthropic"
DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"


@register
class AnthropicAdapter:
    family = "anthropic"

    def run(self, request: ProviderRequest, http: httpx.Client, on_chunk: ChunkCallback | None = None) -> ProviderResult:
        if request.task_kind not in (TaskKind.CHAT.value, TaskKind.VISION.value):
            raise unsupported_task_error(PROVIDER, request.task_kind)
        headers = {"x-api-key": required_api_key(request, PROVIDER), "anthropic-version": API_VERSION}
        if request.options.get("beta"):
            headers["anthropic-beta"] = str(request.options["beta"])
        body = messages_body(
            request.params,
            model=request.upstream_model,
            default_max_tokens=int(request.options.get("default_max_tokens") or DEFAULT_MAX_TOKENS),
        )
        url = join(request.base_url or DEFAULT_BASE_URL, "v1/messages")
        if on_chunk is not None or request.params.get("stream"):
            return _stream(request, http, on_chunk, url=url, headers=headers, body=body)
        response = send(http, "POST", url, provider=PROVIDER, json=body, headers=headers, timeout=timeout(request))
        _raise_for_status(response)
        message = json_object(response, provider=PROVIDER)
        if message.get("type") != "message" or not isinstance(message.get("content"), list):
            raise ProviderError(f"{PROVIDER} returned a malformed message", code="provider_bad_response")
        reply = AnthropicReply.from_message(message)
        return reply.result(request.params, system=body.get("system", ""), provider_request_id=request_id(response))

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        raise unsupported_task_error(PROVIDER, "poll")


def _stream(
    request: ProviderRequest,
    http: httpx.Client,
    on_chunk: ChunkCallback | None,
    *,
    url: str,
    headers: dict[str, str],
    body: dict[str, Any],
) -> ProviderResult:
    reply = AnthropicReply()
    stream_headers = {**headers, "Accept": "text/event-stream"}
    with open_stream(
        http, "POST", url, provider=PROVIDER, raise_for_status=_raise_for_status,
        json={**body, "stream": True}, headers=stream_headers, timeout=timeout(request),
    ) as response:
        provider_request_id = request_id(response)
        with tolerate_drop_after_reply(PROVIDER, lambda: reply.stop_reason is not None):
            for event in iter_sse_events(response):
                reply.apply_event(event.event, event_json(event.data, PROVIDER), on_chunk)
                if reply.is_stopped:
                    break
    # There is no [DONE]: the answer is complete once message_delta gave its stop_reason.
    if reply.stop_reason is None:
        raise interrupted_error(PROVIDER)
    return reply.result(request.params, system=body.get("system", ""), provider_request_id=provider_request_id)


def _raise_for_status(response: httpx.Response) -> None:
    # 529 "overloaded" falls in the retryable 5xx range of the shared mapping.
    check(response, provider=PROVIDER, message_of=error_message)
