"""Fake MiniMax Hailuo API: submit, query (Preparing..Success), file retrieve; fake storage host."""
from __future__ import annotations

import itertools
from typing import Any

from tests.providers.fakes.server import FakeProvider, FakeServer, Reply, Request, scripted

VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42fake-hailuo-video"
OK = {"status_code": 0, "status_msg": "success"}


class MiniMaxFake(FakeProvider):
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.api, self.storage = FakeServer(), FakeServer()
        super().__init__(self.api, self.storage)
        self.statuses = ["Preparing", "Queueing", "Processing", "Success"]
        self.submit_reply: Reply | None = None
        self.query_reply: Reply | None = None
        self.submitted: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._polls: dict[str, int] = {}
        self.api.route("POST", r"/v1/video_generation", self._submit)
        self.api.route("GET", r"/v1/query/video_generation", self._query)
        self.api.route("GET", r"/v1/files/retrieve", self._retrieve)
        self.storage.route("GET", r"/dl/video\.mp4", lambda req: Reply(200, VIDEO_BYTES, {"Content-Type": "video/mp4"}))

    def _authorized(self, req: Request) -> bool:
        return req.headers.get("authorization") == f"Bearer {self.api_key}"

    def _denied(self) -> Reply:
        return Reply.json({"base_resp": {"status_code": 2049, "status_msg": f"invalid api key"}})

    def _submit(self, req: Request) -> Reply:
        if not self._authorized(req):
            return self._denied()
        if self.submit_reply is not None:
            return self.submit_reply
        self.submitted.append(req.json())
        task_id = f"mm-{next(self._ids)}"
        self._polls[task_id] = 0
        return Reply.json({"task_id": task_id, "base_resp": OK})

    def _query(self, req: Request) -> Reply:
        if not self._authorized(req):
            return self._denied()
        if self.query_reply is not None:
            return self.query_reply
        task_id = req.query["task_id"][0]
        status = scripted(self.statuses, self._polls[task_id])
        self._polls[task_id] += 1
        body: dict[str, Any] = {"task_id": task_id, "status": status, "file_id": "", "base_resp": OK}
        if status == "Success":
            body.update(file_id="file-9", video_width=1366, video_height=768)
        return Reply.json(body)

    def _retrieve(self, req: Request) -> Reply:
        if not self._authorized(req):
            return self._denied()
        assert req.query["file_id"] == ["file-9"]
        file = {"file_id": "file-9", "bytes": len(VIDEO_BYTES), "filename": "output.mp4", "purpose": "video_generation",
                "download_url": f"{self.storage.url}/dl/video.mp4"}
        return Reply.json({"file": file, "base_resp": OK})
