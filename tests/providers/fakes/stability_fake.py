"""Fake Stability v1 generation API (``Authorization: Bearer``), answering base64 PNG artifacts."""
from __future__ import annotations

import base64
from typing import Any

from tests.providers.fakes.media import png_bytes
from tests.providers.fakes.server import FakeServer, Reply, Request

API_KEY = "sk-stability-test"


class StabilityFake:
    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.png = png_bytes(24, 24, "blue")
        self.next_reply: Reply | None = None
        self.finish_reasons = ["SUCCESS"]
        server.route("POST", r"/v1/generation/[\w.-]+/text-to-image", self._generate)

    def artifacts(self) -> list[dict[str, Any]]:
        encoded = base64.b64encode(self.png).decode()
        return [{"base64": encoded, "seed": 1000 + index, "finishReason": reason, "extra": "ignored"}
                for index, reason in enumerate(self.finish_reasons)]

    def _generate(self, req: Request) -> Reply:
        if req.headers.get("authorization") != f"Bearer {API_KEY}":
            return Reply.json({"id": "e1", "name": "unauthorized",
                               "message": f"key {req.headers.get('authorization')} is invalid"}, 401)
        reply, self.next_reply = self.next_reply, None
        return reply or Reply.json({"artifacts": self.artifacts()})
