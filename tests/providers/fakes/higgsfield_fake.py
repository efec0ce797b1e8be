"""Fake Higgsfield v2 API (submit on a model path, status polling) and a fake CDN."""
from __future__ import annotations

from typing import Any

from tests.providers.fakes.media import png_bytes
from tests.providers.fakes.server import FakeProvider, FakeServer, Reply, Request, scripted

VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42fake-higgsfield"
IMAGE_PNG = png_bytes(3, 3, (0, 0, 255))


class HiggsfieldFake(FakeProvider):
    def __init__(self, key_id: str, key_secret: str) -> None:
        self.auth = f"Key {key_id}:{key_secret}"
        self.api, self.cdn = FakeServer(), FakeServer()
        super().__init__(self.api, self.cdn)
        self.statuses = ["queued", "in_progress", "completed"]
        self.result_kind = "video"
        self.submit_reply: Reply | None = None
        self.submitted: list[tuple[str, dict[str, Any]]] = []
        self._polls = 0
        self.api.route("GET", r"/requests/([\w-]+)/status", self._status)
        self.api.route("POST", r"/[\w./-]+", self._submit)
        self.cdn.route("GET", r"/r/image-\d\.png", lambda r: Reply(200, IMAGE_PNG, {"Content-Type": "image/png"}))
        self.cdn.route("GET", r"/r/video\.mp4", lambda r: Reply(200, VIDEO_BYTES, {"Content-Type": "video/mp4"}))

    def _denied(self, req: Request) -> Reply | None:
        if req.headers.get("authorization") != self.auth:
            return Reply.json({"detail": "Invalid credentials"}, status=401)
        return None

    def _submit(self, req: Request) -> Reply:
        denied = self._denied(req)
        if denied:
            return denied
        if self.submit_reply is not None:
            return self.submit_reply
        self.submitted.append((req.path, req.json()))
        return Reply.json({"status": "queued", "request_id": "hf-1", "status_url": f"{self.api.url}/requests/hf-1/status",
                           "cancel_url": f"{self.api.url}/requests/hf-1/cancel"})

    def _status(self, req: Request) -> Reply:
        denied = self._denied(req)
        if denied:
            return denied
        status = scripted(self.statuses, self._polls)
        self._polls += 1
        body: dict[str, Any] = {"status": status, "request_id": "hf-1"}
        if status == "completed" and self.result_kind == "images":
            body["images"] = [{"url": f"{self.cdn.url}/r/image-{i}.png"} for i in range(2)]
        elif status == "completed":
            body["video"] = {"url": f"{self.cdn.url}/r/video.mp4"}
        return Reply.json(body)
