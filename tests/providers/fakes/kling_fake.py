"""Fake Kling API (envelope + JWT auth) and a separate fake CDN for result files."""
from __future__ import annotations

import itertools
from typing import Any

import jwt

from tests.providers.fakes.media import png_bytes
from tests.providers.fakes.server import FakeProvider, FakeServer, Reply, Request, scripted

VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42fake-kling-video"
IMAGE_PNG = png_bytes(2, 2, (200, 10, 10))


def envelope(data: Any, code: int = 0, message: str = "SUCCEED") -> dict[str, Any]:
    return {"code": code, "message": message, "request_id": "req-kling-1", "data": data}


class KlingFake(FakeProvider):
    """Serves every family path; each task walks through ``statuses`` one poll at a time."""

    def __init__(self, access_key: str, secret_key: str) -> None:
        self.access_key, self.secret_key = access_key, secret_key
        self.api, self.cdn = FakeServer(), FakeServer()
        super().__init__(self.api, self.cdn)
        self.statuses = ["submitted", "processing", "succeed"]
        self.failure_message = ""
        self.video_duration = "5.1"
        self.image_count = 0  # >0: succeed with this many images (image tasks default to one), not a video
        self.submit_reply: Reply | None = None  # overrides the submit answer (error cases)
        self.query_reply: Reply | None = None
        self.submitted: list[tuple[str, dict[str, Any]]] = []  # (family path, body)
        self.token_claims: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._tasks: dict[str, dict[str, Any]] = {}
        self.api.route("POST", r"/v1/(videos|images)/[a-z0-9-]+", self._submit)
        self.api.route("GET", r"/v1/(videos|images)/[a-z0-9-]+/[\w-]+", self._query)
        self.cdn.route("GET", r"/files/video\.mp4", lambda req: Reply(200, VIDEO_BYTES, {"Content-Type": "video/mp4"}))
        self.cdn.route("GET", r"/files/image-\d+\.png", lambda req: Reply(200, IMAGE_PNG, {"Content-Type": "image/png"}))

    def _check_token(self, req: Request) -> Reply | None:
        header = req.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return Reply.json(envelope(None, 1000, "missing token"), status=401)
        try:
            claims = jwt.decode(header[7:], self.secret_key, algorithms=["HS256"], options={"require": ["iss", "exp", "nbf"]})
        except jwt.PyJWTError:
            return Reply.json(envelope(None, 1002, "token invalid"), status=401)
        if claims["iss"] != self.access_key or claims["exp"] - claims["nbf"] != 1805:
            return Reply.json(envelope(None, 1002, "token invalid"), status=401)
        self.token_claims.append(claims)
        return None

    def _submit(self, req: Request) -> Reply:
        refused = self._check_token(req)
        if refused:
            return refused
        if self.submit_reply is not None:
            return self.submit_reply
        task_id = f"task-{next(self._ids)}"
        self._tasks[task_id] = {"path": req.path, "polls": 0}
        self.submitted.append((req.path, req.json()))
        return Reply.json(envelope({"task_id": task_id, "task_status": "submitted", "created_at": 1, "updated_at": 1}))

    def _query(self, req: Request) -> Reply:
        refused = self._check_token(req)
        if refused:
            return refused
        if self.query_reply is not None:
            return self.query_reply
        family, task_id = req.path.rsplit("/", 1)
        task = self._tasks.get(task_id)
        if task is None or task["path"] != family:
            return Reply.json(envelope(None, 1203, "task not found"), status=404)
        status = scripted(self.statuses, task["polls"])
        task["polls"] += 1
        data: dict[str, Any] = {"task_id": task_id, "task_status": status, "task_status_msg": ""}
        if status == "failed":
            data["task_status_msg"] = self.failure_message
        if status == "succeed":
            data["task_result"] = self._result(images=family.startswith("/v1/images/"))
        return Reply.json(envelope(data))

    def _result(self, *, images: bool) -> dict[str, Any]:
        if self.image_count or images:
            count = self.image_count or 1
            return {"images": [{"index": i, "url": f"{self.cdn.url}/files/image-{i}.png"} for i in range(count)]}
        return {"videos": [{"id": "v1", "url": f"{self.cdn.url}/files/video.mp4", "duration": self.video_duration}]}
