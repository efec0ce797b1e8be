"""Fake Gemini API: ``generateContent`` answering inline PNGs, ``predictLongRunning`` + operation
polling for Veo, and a file download route. Every API route checks ``x-goog-api-key``."""
from __future__ import annotations

import base64
from typing import Any

from tests.providers.fakes.media import png_bytes
from tests.providers.fakes.server import FakeServer, Reply, Request, scripted

API_KEY = "goog-test-key"
VIDEO = b"\x00\x00\x00\x18ftypmp42fake-video"
OPERATION = "models/veo-3.1-generate-preview/operations/op123"


def image_response(png: bytes) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": [
            {"text": "Here is your fox."},
            {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(png).decode()}},
        ]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 1290, "thoughtsTokenCount": 10},
        "responseId": "resp-1",
    }


class GoogleFake:
    """``operations``: poll answers in order (last repeats); ``None`` entries mean "done with the
    default video sample on ``video_uri``" (the API host unless a test points it elsewhere)."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.png = png_bytes(20, 10, "red")
        self.image_body: Any = image_response(self.png)
        self.next_reply: Reply | None = None
        self.operations: list[Any] = [{"name": OPERATION}, None]
        self.video_uri = f"{server.url}/v1beta/files/vid1:download?alt=media"
        self.polls = 0
        server.route("POST", r"/v1beta/models/[\w.-]+:generateContent", self._generate)
        server.route("POST", r"/v1beta/models/[\w.-]+:predictLongRunning", self._submit)
        server.route("GET", r"/v1beta/models/[\w.-]+/operations/\w+", self._operation)
        server.route("GET", r"/v1beta/files/\w+:download", self._file)

    def _guard(self, req: Request) -> Reply | None:
        if req.headers.get("x-goog-api-key") != API_KEY:
            return Reply.json({"error": {"code": 403, "status": "PERMISSION_DENIED",
                                         "message": f"API key {req.headers.get('x-goog-api-key')} not valid"}}, 403)
        reply, self.next_reply = self.next_reply, None
        return reply

    def _generate(self, req: Request) -> Reply:
        return self._guard(req) or Reply.json(self.image_body)

    def _submit(self, req: Request) -> Reply:
        return self._guard(req) or Reply.json({"name": OPERATION})

    def _operation(self, req: Request) -> Reply:
        guarded = self._guard(req)
        if guarded:
            return guarded
        answer = scripted(self.operations, self.polls)
        self.polls += 1
        if answer is None:
            answer = {"name": OPERATION, "done": True, "response": {"generateVideoResponse": {
                "generatedSamples": [{"video": {"uri": self.video_uri}}]}}}
        return Reply.json(answer)

    def _file(self, req: Request) -> Reply:
        return self._guard(req) or Reply(200, VIDEO, {"Content-Type": "video/mp4"})
