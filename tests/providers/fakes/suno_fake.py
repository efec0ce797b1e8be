"""Fake third-party Suno vendors: the sunoapi (kie.ai) shape and the Suno-API proxy shape, plus a CDN."""
from __future__ import annotations

from typing import Any

from tests.providers.fakes.server import FakeProvider, FakeServer, Reply, Request, scripted

MP3_BYTES = b"ID3\x03\x00fake-suno-audio"
JPEG_BYTES = b"\xff\xd8\xff\xe0fake-cover"


class SunoFake(FakeProvider):
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.api, self.cdn = FakeServer(), FakeServer()
        super().__init__(self.api, self.cdn)
        self.statuses = ["PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS", "SUCCESS"]
        self.proxy_statuses = ["SUBMITTED", "IN_PROGRESS", "SUCCESS"]
        self.submit_reply: Reply | None = None
        self.error_message = ""
        self.submitted: list[tuple[str, dict[str, Any]]] = []
        self._polls = 0
        self.api.route("POST", r"/api/v1/(generate|generate/extend|generate/upload-cover|lyrics)", self._guard(self._submit))
        self.api.route("GET", r"/api/v1/generate/record-info", self._guard(self._record_info))
        self.api.route("POST", r"/suno/submit/(MUSIC|LYRICS)", self._guard(self._proxy_submit))
        self.api.route("POST", r"/suno/fetch", self._guard(self._proxy_fetch))
        self.cdn.route("GET", r"/a/\d\.mp3", lambda r: Reply(200, MP3_BYTES, {"Content-Type": "audio/mpeg"}))
        self.cdn.route("GET", r"/i/\d\.jpg", lambda r: Reply(200, JPEG_BYTES, {"Content-Type": "image/jpeg"}))

    def _guard(self, handler):
        def serve(req: Request) -> Reply:
            if req.headers.get("authorization") != f"Bearer {self.api_key}":
                return Reply.json({"code": 401, "msg": f"bad key {req.headers.get('authorization')}"}, status=401)
            if self.submit_reply is not None and req.method == "POST" and "fetch" not in req.path:
                return self.submit_reply
            return handler(req)
        return serve

    def _next(self, statuses: list[str]) -> str:
        status = scripted(statuses, self._polls)
        self._polls += 1
        return status

    def _clips(self, camel: bool) -> list[dict[str, Any]]:
        clips = []
        for i in range(2):
            audio, image = f"{self.cdn.url}/a/{i}.mp3", f"{self.cdn.url}/i/{i}.jpg"
            clip = {"id": f"clip-{i}", "title": "Song", "duration": 120.5 + i}
            clip.update({"audioUrl": audio, "imageUrl": image} if camel else {"audio_url": audio, "image_url": image})
            clips.append(clip)
        return clips

    def _submit(self, req: Request) -> Reply:
        self.submitted.append((req.path, req.json()))
        return Reply.json({"code": 200, "msg": "success", "data": {"taskId": "suno-1"}})

    def _record_info(self, req: Request) -> Reply:
        status = self._next(self.statuses)
        data: dict[str, Any] = {"taskId": req.query["taskId"][0], "status": status, "errorMessage": self.error_message or None}
        if status == "SUCCESS":
            data["response"] = {"sunoData": self._clips(camel=True)}
        return Reply.json({"code": 200, "msg": "success", "data": data})

    def _proxy_submit(self, req: Request) -> Reply:
        self.submitted.append((req.path, req.json()))
        return Reply.json({"code": "success", "message": "", "data": "proxy-1"})

    def _proxy_fetch(self, req: Request) -> Reply:
        body = req.json()
        status = self._next(self.proxy_statuses)
        task: dict[str, Any] = {"task_id": body["ids"][0], "action": body["action"], "status": status,
                                "fail_reason": self.error_message, "progress": "50%"}
        if status == "SUCCESS":
            task["data"] = {"text": "la la la", "title": "Hum"} if body["action"] == "LYRICS" else self._clips(camel=False)
        return Reply.json({"code": "success", "data": [task]})
