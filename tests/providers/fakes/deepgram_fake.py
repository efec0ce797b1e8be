"""Fake Deepgram (``Authorization: Token``) and AI/ML API (``Authorization: Bearer``) servers."""
from __future__ import annotations

from typing import Any

from tests.providers.fakes.server import FakeServer, Reply, Request, scripted

DEEPGRAM_KEY = "dg-test-key"
AIMLAPI_KEY = "aiml-test-key"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt fake-pcm"
MP3 = b"ID3\x04fake-mp3"
LISTEN_BODY = {
    "metadata": {"request_id": "dg-req-1", "duration": 25.933313, "channels": 1},
    "results": {"channels": [{"alternatives": [{"transcript": "Yeah, as much as it's worth celebrating.",
                                                "confidence": 0.99}]}]},
}


class DeepgramFake:
    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.next_reply: Reply | None = None
        self.listen_body: Any = LISTEN_BODY
        server.route("POST", r"/v1/listen", self._listen)
        server.route("POST", r"/v1/speak", self._speak)

    def _guard(self, req: Request) -> Reply | None:
        if req.headers.get("authorization") != f"Token {DEEPGRAM_KEY}":
            return Reply.json({"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials.", "request_id": "x"}, 401)
        reply, self.next_reply = self.next_reply, None
        return reply

    def _listen(self, req: Request) -> Reply:
        return self._guard(req) or Reply.json(self.listen_body, headers={"x-dg-request-id": "dg-req-1"})

    def _speak(self, req: Request) -> Reply:
        return self._guard(req) or Reply(200, MP3, {"Content-Type": "audio/mpeg", "x-dg-request-id": "dg-req-2"})


class AimlApiFake:
    """``statuses``: STT poll answers in order (last repeats); ``None`` = completed with a result."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.next_reply: Reply | None = None
        self.statuses: list[Any] = ["waiting", "active", None]
        self.polls = 0
        server.route("POST", r"/v1/tts", self._tts)
        server.route("POST", r"/v1/stt/create", self._create)
        server.route("GET", r"/v1/stt/[\w-]+", self._poll)

    def _guard(self, req: Request) -> Reply | None:
        if req.headers.get("authorization") != f"Bearer {AIMLAPI_KEY}":
            return Reply.json({"message": f"Invalid key {req.headers.get('authorization')}"}, 401)
        reply, self.next_reply = self.next_reply, None
        return reply

    def _tts(self, req: Request) -> Reply:
        return self._guard(req) or Reply(200, WAV, {"Content-Type": "audio/wav"})

    def _create(self, req: Request) -> Reply:
        return self._guard(req) or Reply.json({"generation_id": "gen-1"})

    def _poll(self, req: Request) -> Reply:
        guarded = self._guard(req)
        if guarded:
            return guarded
        answer = scripted(self.statuses, self.polls)
        self.polls += 1
        if answer is None:
            return Reply.json({"status": "completed", "result": LISTEN_BODY})
        return Reply.json(answer if isinstance(answer, dict) else {"status": answer})
