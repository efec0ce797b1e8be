"""OpenAI-shaped chat completions, shared by the openai, mistral and openai_compatible
families. A ``ChatDialect`` holds the few ways the upstreams differ."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from apps.providers.base import ChunkCallback, Output, ProviderError, ProviderRequest, ProviderResult, ResultState
from apps.providers.http import json_object, send
from apps.providers.adapters._openai_common import raise_for_status, request_id, timeout
from apps.providers.adapters._sse import event_json, interrupted_error, iter_sse_events, open_stream, tolerate_drop_after_reply
from apps.providers.adapters._token_count import count_message_tokens, count_output_tokens, message_text

# Parameters the adapter decides itself. ``n`` is dropped: a task returns one completion.
MANAGED_PARAMS = frozenset({"model", "stream", "stream_options", "n"})


@dataclass(frozen=True)
class ChatDialect:
    provider: str  # shown in error messages
    seed_param: str = "seed"  # Mistral calls it random_seed
    max_tokens_param: str = "max_tokens"  # OpenAI's current name is max_completion_tokens
    sends_stream_options: bool = True  # ask for the usage chunk; Mistral rejects the field
    allowed_params: frozenset[str] | None = None  # None: pass every other parameter through
    failed_finish_reasons: frozenset[str] = field(default_factory=frozenset)  # Mistral: {"error"}


def chat_body(request: ProviderRequest, dialect: ChatDialect, *, stream: bool) -> dict[str, Any]:
    params = request.params
    body: dict[str, Any] = {}
    for name, value in params.items():
        if value is None or name in MANAGED_PARAMS:
            continue
        if name == "seed":
            name = dialect.seed_param
        elif name == "max_tokens" and "max_completion_tokens" not in params:
            name = dialect.max_tokens_param
        if dialect.allowed_params is not None and name not in dialect.allowed_params:
            continue
        body[name] = value
    body["model"] = request.upstream_model
    if stream:
        body["stream"] = True
        if dialect.sends_stream_options:
            body["stream_options"] = {**(params.get("stream_options") or {}), "include_usage": True}
    return body


def run_chat(
    request: ProviderRequest,
    http: httpx.Client,
    on_chunk: ChunkCallback | None,
    *,
    dialect: ChatDialect,
    url: str,
    headers: dict[str, str],
) -> ProviderResult:
    """Stream when the caller wants chunks (or asked for ``stream``), else one JSON call."""
    stream = on_chunk is not None or bool(request.params.get("stream"))
    body = chat_body(request, dialect, stream=stream)
    if stream:
        return _run_streaming(request, http, on_chunk, dialect=dialect, url=url, headers=headers, body=body)
    response = send(http, "POST", url, provider=dialect.provider, json=body, headers=headers, timeout=timeout(request))
    raise_for_status(response, provider=dialect.provider)
    payload = json_object(response, provider=dialect.provider)
    choices = payload.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ProviderError(f"{dialect.provider} returned no completion", code="provider_bad_response")
    message = choices[0].get("message") or {}
    reply = ChatReply(
        text_parts=[message_text(message.get("content"))],
        tool_calls={i: call for i, call in enumerate(message.get("tool_calls") or [])},
        refusal=message.get("refusal") or "",
        finish_reason=choices[0].get("finish_reason"),
        usage=payload.get("usage"),
    )
    return reply.result(request, dialect, provider_request_id=request_id(response))


@dataclass
class ChatReply:
    """A completion being assembled from stream chunks (or filled at once)."""

    text_parts: list[str] = field(default_factory=list)
    tool_calls: dict[int, dict[str, Any]] = field(default_factory=dict)
    refusal: str = ""
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    is_done: bool = False  # saw the [DONE] sentinel

    def apply_chunk(self, chunk: dict[str, Any], on_chunk: ChunkCallback | None, dialect: ChatDialect) -> None:
        if chunk.get("error"):
            raise stream_error(chunk["error"], dialect.provider)
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            text = message_text(delta.get("content"))
            if text:
                self.text_parts.append(text)
                if on_chunk is not None:
                    on_chunk(text)
            self.refusal += delta.get("refusal") or ""
            for call_delta in delta.get("tool_calls") or []:
                self._merge_tool_call(call_delta)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]

    def _merge_tool_call(self, call_delta: dict[str, Any]) -> None:
        # The id, type and name come once; the arguments arrive as string fragments.
        index = call_delta.get("index", len(self.tool_calls))
        call = self.tool_calls.setdefault(
            index, {"id": None, "type": "function", "function": {"name": "", "arguments": ""}}
        )
        call["id"] = call_delta.get("id") or call["id"]
        call["type"] = call_delta.get("type") or call["type"]
        function = call_delta.get("function") or {}
        call["function"]["name"] = call["function"]["name"] or function.get("name") or ""
        call["function"]["arguments"] += function.get("arguments") or ""

    def result(self, request: ProviderRequest, dialect: ChatDialect, *, provider_request_id: str | None) -> ProviderResult:
        if self.finish_reason in dialect.failed_finish_reasons:
            raise ProviderError(
                f"{dialect.provider} failed while generating the reply",
                code="provider_generation_failed",
                retryable=True,
            )
        text = "".join(self.text_parts)
        tool_calls = [self.tool_calls[i] for i in sorted(self.tool_calls)]
        meta: dict[str, Any] = {"finish_reason": self.finish_reason, "role": "assistant"}
        if tool_calls:
            meta["tool_calls"] = tool_calls
        if self.refusal:
            meta["refusal"] = self.refusal
        return ProviderResult(
            state=ResultState.SUCCEEDED,
            outputs=[Output(kind="text", text=text, meta=meta)],
            usage=self._usage(request, text, tool_calls),
            provider_request_id=provider_request_id,
        )

    def _usage(self, request: ProviderRequest, text: str, tool_calls: list[dict[str, Any]]) -> dict[str, Any]:
        reported = self.usage or {}
        input_tokens = reported.get("prompt_tokens", reported.get("input_tokens"))
        output_tokens = reported.get("completion_tokens", reported.get("output_tokens"))
        if isinstance(input_tokens, int) and isinstance(output_tokens, int):
            return {"input_tokens": input_tokens, "output_tokens": output_tokens, "requests": 1}
        return {
            "input_tokens": count_message_tokens(request.params.get("messages") or []),
            "output_tokens": count_output_tokens(text, tool_calls),
            "requests": 1,
            "estimated": True,
        }


def stream_error(error: Any, provider: str) -> ProviderError:
    """An error sent inside a 200 stream: the upstream failed after it started answering,
    so it is a provider failure worth retrying, never the caller's fault."""
    message = error.get("message") if isinstance(error, dict) else error
    return ProviderError(
        f"{provider} failed mid-stream: {' '.join(str(message or 'unknown error').split())[:300]}",
        code="provider_stream_error",
        retryable=True,
    )


def _run_streaming(
    request: ProviderRequest,
    http: httpx.Client,
    on_chunk: ChunkCallback | None,
    *,
    dialect: ChatDialect,
    url: str,
    headers: dict[str, str],
    body: dict[str, Any],
) -> ProviderResult:
    reply = ChatReply()
    stream_headers = {**headers, "Accept": "text/event-stream"}
    with open_stream(
        http, "POST", url, provider=dialect.provider, json=body, headers=stream_headers, timeout=timeout(request),
        raise_for_status=lambda failed: raise_for_status(failed, provider=dialect.provider),
    ) as response:
        provider_request_id = request_id(response)
        with tolerate_drop_after_reply(dialect.provider, lambda: reply.finish_reason is not None):
            for event in iter_sse_events(response):
                if event.data.strip() == "[DONE]":
                    reply.is_done = True
                    break
                reply.apply_chunk(event_json(event.data, dialect.provider), on_chunk, dialect)
    # A stream that loses only its trailing usage chunk is a finished answer (usage is then
    # estimated); one that stops before the answer finished is a failure.
    if not reply.is_done and reply.finish_reason is None:
        raise interrupted_error(dialect.provider)
    return reply.result(request, dialect, provider_request_id=provider_request_id)

