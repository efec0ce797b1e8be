"""A fake Mistral chat API on FakeServer (providers.md §3 and §12): OpenAI-like chunks with
usage on the final chunk, ``random_seed``, no ``stream_options`` (refused with a 422, as
reported), ``finish_reason: "error"`` and Mistral's error bodies."""
from __future__ import annotations

import json
from typing import Any, Iterator

from tests.providers.fakes.server import Reply, Request, SingleServerFake

API_KEY = "mistral-test-secret-0123456789"
PIECES = ["Bonjour", " le", " monde"]
USAGE = {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}
SLOW_SECONDS = 2.0
KNOWN_FIELDS = frozenset({
    "model", "messages", "temperature", "top_p", "max_tokens", "stream", "stop", "random_seed", "response_format",
    "tools", "tool_choice", "parallel_tool_calls", "presence_penalty", "frequency_penalty", "n", "safe_prompt", "prediction",
    "prompt_mode",
})


def _validation_error(field: str, message: str) -> Reply:
    return Reply.json({"detail": [{"loc": ["body", field], "msg": message, "type": "extra_forbidden"}]}, status=422)


ERROR_SCENARIOS = {
    "bad_model": lambda: Reply.json({"object": "error", "message": "Invalid model: open-mixtral-8x7b", "type": "invalid_model", "param": None, "code": "1500"}, status=400),
    "rate_limited": lambda: Reply.json({"object": "error", "message": "Rate limit exceeded", "type": "rate_limited", "param": None, "code": "1300"}, status=429, headers={"retry-after": "3"}),
    "unavailable": lambda: Reply.json({"message": "Service unavailable"}, status=503),
    "malformed": lambda: Reply(200, b'{"id": "cmpl', {"Content-Type": "application/json"}),
    "slow": lambda: Reply(200, b"{}", {"Content-Type": "application/json"}, delay_seconds=SLOW_SECONDS),
}


class MistralFake(SingleServerFake):
    def __init__(self, api_key: str = API_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        self.scenario = "ok"
        self.server.route("POST", r"/v1/chat/completions", self._chat)

    def _chat(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply.json({"message": "Unauthorized", "request_id": "r1"}, status=401)
        if self.scenario in ERROR_SCENARIOS:
            return ERROR_SCENARIOS[self.scenario]()
        body = request.json()
        unknown = sorted(set(body) - KNOWN_FIELDS)
        if unknown:
            return _validation_error(unknown[0], "Extra inputs are not permitted")
        finish_reason = "error" if self.scenario == "finish_error" else "stop"
        if body.get("stream"):
            return Reply.sse(self._stream(body, finish_reason))
        message = {"role": "assistant", "content": "".join(PIECES), "tool_calls": None}
        payload = {"id": "cmpl-1", "object": "chat.completion", "created": 1700000000, "model": body["model"],
                   "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}], "usage": USAGE}
        return Reply.json(payload)

    def _stream(self, body: dict[str, Any], finish_reason: str) -> Iterator[str]:
        base = {"id": "cmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": body["model"]}

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            return f"data: {json.dumps({**base, 'choices': [{'index': 0, 'delta': delta, 'finish_reason': finish}], **extra})}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        for piece in PIECES:
            yield chunk({"content": piece})
        if self.scenario == "stream_cut":
            return  # connection ends before the final chunk that carries usage
        yield chunk({"content": ""}, finish_reason, usage=USAGE)
        yield "data: [DONE]\n\n"
