"""An Anthropic reply as our normalized chat output, built whole or from stream events."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from apps.providers.base import ChunkCallback, Output, ProviderError, ProviderResult, ResultState
from apps.providers.adapters._token_count import count_message_tokens, count_output_tokens

# Anthropic stop_reason → OpenAI finish_reason, so callers see one vocabulary.
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
RETRYABLE_ERROR_TYPES = frozenset({"overloaded_error", "api_error", "rate_limit_error", "timeout_error"})
INPUT_TOKEN_FIELDS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


@dataclass
class AnthropicReply:
    text_parts: list[str] = field(default_factory=list)
    tool_calls: dict[int, dict[str, Any]] = field(default_factory=dict)  # by content block index
    stop_reason: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    is_stopped: bool = False  # saw message_stop

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> "AnthropicReply":
        reply = cls(stop_reason=message.get("stop_reason"), usage=dict(message.get("usage") or {}), is_stopped=True)
        for index, block in enumerate(message.get("content") or []):
            reply._start_block(index, block)
        for call in reply.tool_calls.values():
            call["function"]["arguments"] = call.pop("_input")
        return reply

    def apply_event(self, name: str, data: dict[str, Any], on_chunk: ChunkCallback | None) -> None:
        kind = data.get("type", name)
        if kind == "message_start":
            self.usage.update((data.get("message") or {}).get("usage") or {})
        elif kind == "content_block_start":
            self._start_block(data.get("index", 0), data.get("content_block") or {}, on_chunk)
        elif kind == "content_block_delta":
            self._apply_delta(data.get("index", 0), data.get("delta") or {}, on_chunk)
        elif kind == "message_delta":
            # message_delta usage is cumulative: its numbers replace earlier ones.
            self.usage.update({k: v for k, v in (data.get("usage") or {}).items() if v is not None})
            self.stop_reason = (data.get("delta") or {}).get("stop_reason") or self.stop_reason
        elif kind == "message_stop":
            self.is_stopped = True
        elif kind == "error":
            raise stream_error(data.get("error") or {})
        # ping, content_block_stop and unknown events carry nothing we need

    def _start_block(self, index: int, block: dict[str, Any], on_chunk: ChunkCallback | None = None) -> None:
        if block.get("type") == "text" and block.get("text"):
            self._append_text(block["text"], on_chunk)
        elif block.get("type") == "tool_use":
            initial = block.get("input")
            self.tool_calls[index] = {
                "id": block.get("id"),
                "type": "function",
                "function": {"name": block.get("name", ""), "arguments": ""},
                "_input": json.dumps(initial) if initial else "",
            }

    def _apply_delta(self, index: int, delta: dict[str, Any], on_chunk: ChunkCallback | None) -> None:
        if delta.get("type") == "text_delta":
            self._append_text(delta.get("text") or "", on_chunk)
        elif delta.get("type") == "input_json_delta" and index in self.tool_calls:
            call = self.tool_calls[index]
            # A streamed tool_use starts with input {} and then sends the real JSON in pieces.
            call["function"]["arguments"] += delta.get("partial_json") or ""
            call["_input"] = ""

    def _append_text(self, text: str, on_chunk: ChunkCallback | None) -> None:
        if text:
            self.text_parts.append(text)
            if on_chunk is not None:
                on_chunk(text)

    def result(self, params: dict[str, Any], *, system: str, provider_request_id: str | None) -> ProviderResult:
        text = "".join(self.text_parts)
        tool_calls = []
        for index in sorted(self.tool_calls):
            call = dict(self.tool_calls[index])
            leftover = call.pop("_input", "")
            if not call["function"]["arguments"]:
                call["function"] = {**call["function"], "arguments": leftover or "{}"}
            tool_calls.append(call)
        finish_reason = FINISH_REASONS.get(self.stop_reason, self.stop_reason)
        meta: dict[str, Any] = {"finish_reason": finish_reason, "role": "assistant", "stop_reason": self.stop_reason}
        if tool_calls:
            meta["tool_calls"] = tool_calls
        return ProviderResult(
            ResultState.SUCCEEDED,
            outputs=[Output(kind="text", text=text, meta=meta)],
            usage=self._usage(params, system, text, tool_calls),
            provider_request_id=provider_request_id,
        )

    def _usage(self, params: dict[str, Any], system: str, text: str, tool_calls: list[dict[str, Any]]) -> dict[str, Any]:
        # Cache writes and reads are input the model processed; Anthropic reports them apart.
        reported_input = [self.usage.get(key) for key in INPUT_TOKEN_FIELDS]
        input_tokens = sum(value for value in reported_input if isinstance(value, int)) if isinstance(reported_input[0], int) else None
        output_tokens = self.usage.get("output_tokens") if self.stop_reason else None
        usage: dict[str, Any] = {"requests": 1}
        if input_tokens is None:
            input_tokens = count_message_tokens(params.get("messages") or [], system=system)
            usage["estimated"] = True
        if not isinstance(output_tokens, int):
            output_tokens = count_output_tokens(text, tool_calls)
            usage["estimated"] = True
        usage.update(input_tokens=input_tokens, output_tokens=output_tokens)
        return usage


def stream_error(error: dict[str, Any]) -> ProviderError:
    error_type = str(error.get("type") or "")
    message = " ".join(str(error.get("message") or error_type or "unknown error").split())[:300]
    return ProviderError(
        f"Anthropic failed mid-stream: {message}",
        code="provider_overloaded" if error_type == "overloaded_error" else "provider_stream_error",
        retryable=error_type in RETRYABLE_ERROR_TYPES,
    )
