"""A fake OpenAI API (chat, images, speech, transcription, Sora videos) on FakeServer.

Set ``scenario`` to make every endpoint misbehave one way (see ERROR_SCENARIOS and the
stream scenarios in ``_chat_stream``). Paths, auth, bodies and SSE framing follow
providers.md §1 and §12."""
from __future__ import annotations

import base64
import itertools
import json
import re
from typing import Any, Iterator

from tests.providers.fakes.media import FAKE_MP3, FAKE_MP4, form_fields, multipart_parts, png_bytes
from tests.providers.fakes.server import Reply, Request, SingleServerFake

API_KEY = "sk-test-openai-secret-0123456789"
REQUEST_ID = "req_openai_123"
CHAT_PIECES = ["Hello", ",", " world", "!"]
CHAT_USAGE = {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}
TRANSCRIPT = "hello from the fake"
SLOW_SECONDS = 2.0


def _error(status: int, message: str, type_: str, code: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return Reply.json(body, status=status, headers={"x-request-id": REQUEST_ID, **(headers or {})})


ERROR_SCENARIOS = {
    "bad_request": lambda: _error(400, "Invalid value for 'temperature':\n  must be <= 2.", "invalid_request_error"),
    "rate_limited": lambda: _error(429, "Rate limit reached", "requests", "rate_limit_exceeded", {"retry-after-ms": "1500"}),
    "quota": lambda: _error(429, "You exceeded your current quota", "insufficient_quota", "insufficient_quota"),
    "server_error": lambda: _error(500, "The server had an error", "server_error"),
    "malformed": lambda: Reply(200, b"{not json", {"Content-Type": "application/json"}),
    "slow": lambda: Reply(200, b"{}", {"Content-Type": "application/json"}, delay_seconds=SLOW_SECONDS),
}


class OpenAIFake(SingleServerFake):
    def __init__(self, api_key: str | None = API_KEY) -> None:
        """``api_key=None`` plays a local server (vLLM, Ollama) that needs no key."""
        super().__init__()
        self.api_key = api_key
        self.scenario = "ok"
        self.video_outcome = "completed"  # or "failed", "moderated"
        self._video_polls: dict[str, Iterator[dict[str, Any]]] = {}
        self._last_video: dict[str, dict[str, Any]] = {}
        self._video_ids = itertools.count(1)
        routes = [
            ("POST", r"/v1/chat/completions", self._chat),
            ("POST", r"/v1/images/generations", self._image_generations),
            ("POST", r"/v1/images/edits", self._image_edits),
            ("POST", r"/v1/audio/speech", self._speech),
            ("POST", r"/v1/audio/transcriptions", self._transcriptions),
            ("POST", r"/v1/videos", self._video_create),
            ("GET", r"/v1/videos/[^/]+", self._video_get),
            ("GET", r"/v1/videos/[^/]+/content", self._video_content),
        ]
        for method, path, handler in routes:
            self.server.route(method, path, self._guarded(handler))

    @property
    def url(self) -> str:
        return self.server.url + "/v1"

    def _guarded(self, handler: Any) -> Any:
        def serve(request: Request) -> Reply:
            if self.api_key is not None and request.headers.get("authorization") != f"Bearer {self.api_key}":
                # Like the real API, the message quotes the key it was given.
                given = request.headers.get("authorization", "").removeprefix("Bearer ")
                return _error(401, f"Incorrect API key provided: {given}.", "invalid_request_error", "invalid_api_key")
            if self.scenario in ERROR_SCENARIOS:
                return ERROR_SCENARIOS[self.scenario]()
            return handler(request)

        return serve

    # chat ------------------------------------------------------------------
    def _chat(self, request: Request) -> Reply:
        body = request.json()
        assert body["model"] and body["messages"], "model and messages are required"
        if body.get("stream"):
            return self._chat_stream(body)
        message: dict[str, Any] = {"role": "assistant", "content": "".join(CHAT_PIECES), "refusal": None}
        finish_reason = "stop"
        if self.scenario == "tool_calls":
            message = {"role": "assistant", "content": None, "tool_calls": [_tool_call()]}
            finish_reason = "tool_calls"
        payload = {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
            "usage": CHAT_USAGE, "system_fingerprint": "fp_x",
        }
        return Reply.json(payload, headers={"x-request-id": REQUEST_ID})

    def _chat_stream(self, body: dict[str, Any]) -> Reply:
        include_usage = (body.get("stream_options") or {}).get("include_usage")
        base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": body["model"]}

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> str:
            payload = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}
            if include_usage:
                payload["usage"] = None
            return f"data: {json.dumps(payload)}\n\n"

        def events() -> Iterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            if self.scenario == "stream_tool_calls":
                call = _tool_call()
                yield chunk({"tool_calls": [{"index": 0, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": ""}}]})
                for piece in ('{"city": ', '"Paris"}'):
                    yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
                yield chunk({}, "tool_calls")
            else:
                for index, piece in enumerate(CHAT_PIECES):
                    if index == 2 and self.scenario == "stream_error":
                        yield 'data: {"error": {"message": "The server had an error while processing", "type": "server_error"}}\n\n'
                        return
                    if index == 2 and self.scenario == "stream_dropped":
                        raise ConnectionAbortedError("fake connection drop")  # server closes the socket mid-body
                    if index == 2 and self.scenario == "stream_malformed":
                        yield "data: {broken\n\n"
                    yield chunk({"content": piece})
                yield chunk({}, "stop")
            if self.scenario == "stream_cut_before_usage":
                return  # the connection ends cleanly, but without usage or [DONE]
            if include_usage:
                yield f"data: {json.dumps({**base, 'choices': [], 'usage': CHAT_USAGE})}\n\n"
            yield "data: [DONE]\n\n"

        reply = Reply.sse(events())
        reply.headers["x-request-id"] = REQUEST_ID
        return reply

    # images ----------------------------------------------------------------
    def _image_generations(self, request: Request) -> Reply:
        body = request.json()
        assert body.get("prompt"), "prompt is required"
        return self._images_reply(int(body.get("n") or 1), body.get("size", "1024x1024"))

    def _image_edits(self, request: Request) -> Reply:
        fields = form_fields(request)
        images = [part for part in multipart_parts(request) if part.name in ("image", "image[]")]
        assert fields.get("prompt") and images, "prompt and image are required"
        return self._images_reply(int(fields.get("n") or 1), fields.get("size", "1024x1024"))

    def _images_reply(self, count: int, size: str) -> Reply:
        if not re.fullmatch(r"\d+x\d+|auto", size):
            return _error(400, f"Invalid value: '{size}'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.",
                          "invalid_request_error", "invalid_value")
        if size == "auto":
            size = "1024x1024"
        width, height = (int(value) // 128 for value in size.split("x"))  # small stand-ins with the right shape
        image = base64.b64encode(png_bytes(width, height)).decode()
        payload = {
            "created": 1700000000,
            "data": [{"b64_json": image, "revised_prompt": None} for _ in range(count)],
            "background": "opaque", "output_format": "png", "quality": "medium", "size": size,
            "usage": {"input_tokens": 50, "output_tokens": 1056, "total_tokens": 1106},
        }
        return Reply.json(payload, headers={"x-request-id": REQUEST_ID})

    # audio -----------------------------------------------------------------
    def _speech(self, request: Request) -> Reply:
        body = request.json()
        assert body.get("input") and body.get("voice"), "input and voice are required"
        return Reply(200, FAKE_MP3, {"Content-Type": "audio/mpeg", "x-request-id": REQUEST_ID})

    def _transcriptions(self, request: Request) -> Reply:
        fields = form_fields(request)
        files = [part for part in multipart_parts(request) if part.name == "file" and part.filename]
        assert files and fields.get("model"), "file and model are required"
        if fields.get("response_format") in ("text", "srt", "vtt"):
            return Reply(200, TRANSCRIPT.encode(), {"Content-Type": "text/plain"})
        if fields["model"] == "whisper-1":
            usage: dict[str, Any] = {"type": "duration", "seconds": 3.2}
        else:
            usage = {"type": "tokens", "input_tokens": 40, "output_tokens": 6, "total_tokens": 46}
        return Reply.json({"text": TRANSCRIPT, "usage": usage}, headers={"x-request-id": REQUEST_ID})

    # videos ----------------------------------------------------------------
    def _video_create(self, request: Request) -> Reply:
        fields = form_fields(request)  # asserts multipart, as the SDK sends
        assert fields.get("prompt"), "prompt is required"
        video_id = f"video_{next(self._video_ids)}"
        video = _video(video_id, fields, "queued", 0)
        self._video_polls[video_id] = iter([
            _video(video_id, fields, "in_progress", 40),
            _video(video_id, fields, *self._final_status()),
        ])
        return Reply.json(video, headers={"openai-poll-after-ms": "1500", "x-request-id": REQUEST_ID})

    def _final_status(self) -> tuple[str, int, dict[str, str] | None]:
        if self.video_outcome == "failed":
            return "failed", 60, {"code": "internal_error", "message": "Video generation failed"}
        if self.video_outcome == "moderated":
            return "failed", 0, {"code": "moderation_blocked", "message": "Your request was blocked by our moderation system."}
        return "completed", 100, None

    def _video_get(self, request: Request) -> Reply:
        video_id = request.path.rsplit("/", 1)[1]
        if video_id not in self._video_polls:
            return _error(404, f"Video {video_id} not found", "invalid_request_error")
        video = next(self._video_polls[video_id], None) or self._last_video[video_id]
        self._last_video[video_id] = video  # once the script is used up, the final state repeats
        return Reply.json(video, headers={"openai-poll-after-ms": "2000"})

    def _video_content(self, request: Request) -> Reply:
        video_id = request.path.split("/")[-2]
        last = self._last_video.get(video_id)
        if last is None or last["status"] != "completed":
            return _error(404, "Video is not ready", "invalid_request_error")
        return Reply(200, FAKE_MP4, {"Content-Type": "video/mp4"})


def _tool_call() -> dict[str, Any]:
    return {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}


def _video(video_id: str, fields: dict[str, str], status: str, progress: int, error: Any = None) -> dict[str, Any]:
    return {
        "id": video_id, "object": "video", "model": fields.get("model", "sora-2"), "status": status,
        "progress": progress, "created_at": 1700000000, "completed_at": None, "expires_at": None,
        "seconds": fields.get("seconds", "4"), "size": fields.get("size", "720x1280"), "prompt": fields.get("prompt"),
        "remixed_from_video_id": None, "error": error,
    }
