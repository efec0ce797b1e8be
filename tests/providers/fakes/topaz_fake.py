"""Fake Topaz Labs API (image sync/async, video multi-step) plus a fake presigned-URL storage host."""
from __future__ import annotations

from typing import Any

from tests.providers.fakes.media import png_bytes
from tests.providers.fakes.server import FakeProvider, FakeServer, Reply, Request, scripted

VIDEO_OUT = b"\x00\x00\x00\x18ftypmp42fake-topaz-upscaled"
INPUT_PNG = png_bytes(4, 4, (10, 200, 10))
OUTPUT_PNG = png_bytes(8, 8, (10, 200, 10))


class TopazFake(FakeProvider):
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.api, self.storage = FakeServer(), FakeServer()
        super().__init__(self.api, self.storage)
        self.statuses = ["Pending", "Processing", "Completed"]
        self.video_statuses = ["processing", "processing", "complete"]
        self.enhance_reply: Reply | None = None
        self.create_reply: Reply | None = None
        self.video_created: list[dict[str, Any]] = []
        self.completed_uploads: list[dict[str, Any]] = []
        self.uploaded: dict[int, bytes] = {}
        self.upload_url_count = 2
        self._polls = 0
        self.api.route("POST", r"/image/v1/enhance", self._enhance)
        self.api.route("POST", r"/image/v1/enhance-gen/async", self._guarded(lambda r: Reply.json({"process_id": "p-1", "eta": 3})))
        self.api.route("GET", r"/image/v1/status/p-1", self._guarded(self._image_status))
        self.api.route("GET", r"/image/v1/download/p-1", self._guarded(
            lambda r: Reply.json({"download_url": f"{self.storage.url}/out/image.png"})))
        self.api.route("POST", r"/video/", self._guarded(self._video_create))
        self.api.route("PATCH", r"/video/v-1/accept", self._guarded(lambda r: Reply.json(
            {"uploadId": "u-1", "urls": [f"{self.storage.url}/upload/part-{n}" for n in range(1, self.upload_url_count + 1)]})))
        self.api.route("PATCH", r"/video/v-1/complete-upload", self._guarded(self._complete))
        self.api.route("GET", r"/video/v-1/status", self._guarded(self._video_status))
        self.storage.route("PUT", r"/upload/part-(\d+)", self._upload)
        self.storage.route("GET", r"/out/image\.png", lambda r: Reply(200, OUTPUT_PNG, {"Content-Type": "image/png"}))
        self.storage.route("GET", r"/out/video\.mp4", lambda r: Reply(200, VIDEO_OUT, {"Content-Type": "video/mp4"}))

    def _guarded(self, handler):
        def serve(req: Request) -> Reply:
            if req.headers.get("x-api-key") != self.api_key:
                return Reply.json({"message": f"Invalid API key {req.headers.get('x-api-key')}"}, status=401)
            return handler(req)
        return serve

    def _enhance(self, req: Request) -> Reply:
        if req.headers.get("x-api-key") != self.api_key:
            return Reply.json({"message": "Invalid API key"}, status=401)
        if self.enhance_reply is not None:
            return self.enhance_reply
        assert req.headers["content-type"].startswith("multipart/form-data")
        assert b'name="image"' in req.body and b'name="model"' in req.body
        return Reply(200, OUTPUT_PNG, {"Content-Type": req.headers.get("accept", "image/png")})

    def _next(self, statuses: list[str]) -> str:
        status = scripted(statuses, self._polls)
        self._polls += 1
        return status

    def _image_status(self, req: Request) -> Reply:
        return Reply.json({"process_id": "p-1", "status": self._next(self.statuses), "progress": 40})

    def _video_create(self, req: Request) -> Reply:
        if self.create_reply is not None:
            return self.create_reply
        self.video_created.append(req.json())
        return Reply.json({"requestId": "v-1", "estimates": {"cost": [1, 2]}})

    def _upload(self, req: Request) -> Reply:
        part = int(req.path.rsplit("-", 1)[1])
        self.uploaded[part] = req.body
        return Reply(200, b"", {"ETag": f'"etag-{part}"'})

    def _complete(self, req: Request) -> Reply:
        self.completed_uploads.append(req.json())
        return Reply.json({"message": "ok"})

    def _video_status(self, req: Request) -> Reply:
        status = self._next(self.video_statuses)
        body: dict[str, Any] = {"status": status, "progress": 55}
        if status == "complete":
            body.update(progress=100, download={"url": f"{self.storage.url}/out/video.mp4"})
        return Reply.json(body)
