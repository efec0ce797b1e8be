"""A fake Anthropic Messages API on FakeServer (providers.md §2 and §12): x-api-key and
anthropic-version checked, named-event SSE with a ping, error events, 429 and 529."""
from __future__ import annotations

import json
from typing import Any, Iterator

from tests.providers.fakes.server import Reply, Request, SingleServerFake

API_KEY = "sk-ant-test-secret-0123456789"
API_VERSION = "2023-06-01"
REQUEST_ID = "req_ant_123"
TEXT_PIECES = ["Hi", " there", "!"]
SLOW_SECONDS = 2.0


def _error(status: int, type_: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    body = {"type": "error", "error": {"type": type_, "message": message}, "request_id": REQUEST_ID}
    return Reply.json(body, status=status, headers={"request-id": REQUEST_ID, **(headers or {})})


ERROR_SCENARIOS = {
    "bad_request": lambda: _error(400, "invalid_request_error", "messages.0.content:\n Field required"),
    "rate_limited": lambda: _error(429, "rate_limit_error", "Number of request tokens has exceeded your rate limit", {"retry-after": "7"}),
    "overloaded": lambda: _error(529, "overloaded_error", "Overloaded"),
    "malformed": lambda: Reply(200, b"<html>oops</html>", {"Content-Type": "application/json"}),
    "slow": lambda: Reply(200, b"{}", {"Content-Type": "application/json"}, delay_seconds=SLOW_SECONDS),
}


def _event(name: str, payload: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(payload)}\n\n"


class AnthropicFake(SingleServerFake):
    def __init__(self, api_key: str = API_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        self.scenario = "ok"
        self.server.route("POST", r"/v1/messages", self._messages)

    def _messages(self, request: Request) -> Reply:
        if request.headers.get("x-api-key") != self.api_key:
            return _error(401, "authentication_error", f"invalid x-api-key {request.headers.get('x-api-key')}")
        if request.headers.get("anthropic-version") != API_VERSION:
            return _error(400, "invalid_request_error", "anthropic-version header is required")
        if self.scenario in ERROR_SCENARIOS:
            return ERROR_SCENARIOS[self.scenario]()
        body = request.json()
        if not isinstance(body.get("max_tokens"), int):
            return _error(400, "invalid_request_error", "max_tokens: Field required")
        if any(message["role"] not in ("user", "assistant") for message in body["messages"]):
            return _error(400, "invalid_request_error", "messages: roles must be user or assistant")
        if body.get("stream"):
            reply = Reply.sse(self._stream(body))
            reply.headers["request-id"] = REQUEST_ID
            return reply
        content: list[dict[str, Any]] = [{"type": "text", "text": "".join(TEXT_PIECES)}]
        stop_reason = "end_turn"
        if self.scenario == "tool_use":
            content.append({"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}})
            stop_reason = "tool_use"
        message = {
            "id": "msg_1", "type": "message", "role": "assistant", "model": body["model"], "content": content,
            "stop_reason": stop_reason, "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 2, "cache_read_input_tokens": 3},
        }
        return Reply.json(message, headers={"request-id": REQUEST_ID})

    def _stream(self, body: dict[str, Any]) -> Iterator[str]:
        start = {"id": "msg_1", "type": "message", "role": "assistant", "model": body["model"], "content": [],
                 "stop_reason": None, "usage": {"input_tokens": 12, "output_tokens": 1}}
        yield _event("message_start", {"type": "message_start", "message": start})
        yield _event("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
        yield _event("ping", {"type": "ping"})
        for index, piece in enumerate(TEXT_PIECES):
            if index == 1 and self.scenario == "stream_error":
                yield _event("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
                return
            yield _event("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}})
        yield _event("content_block_stop", {"type": "content_block_stop", "index": 0})
        stop_reason = "end_turn"
        if self.scenario == "stream_tool_use":
            yield _event("content_block_start", {"type": "content_block_start", "index": 1,
                                                 "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}})
            for piece in ('{"city"', ': "Paris"}'):
                yield _event("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": piece}})
            yield _event("content_block_stop", {"type": "content_block_stop", "index": 1})
            stop_reason = "tool_use"
        if self.scenario == "stream_cut":
            return  # ends cleanly before message_delta: no stop_reason, no final usage
        if self.scenario == "max_tokens":
            stop_reason = "max_tokens"
        yield _event("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None}, "usage": {"output_tokens": 3}})
        yield _event("message_delta", {"type": "message_delta", "delta": {}, "usage": {"output_tokens": 7}})  # cumulative
        yield _event("message_stop", {"type": "message_stop"})
