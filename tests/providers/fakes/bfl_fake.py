"""Fake Black Forest Labs API: submit → poll statuses in order → signed sample URL on a
separate "delivery" server (which must never see the ``x-key``)."""
from __future__ import annotations

from typing import Any

from tests.providers.fakes.media import png_bytes
from tests.providers.fakes.server import FakeServer, Reply, Request, scripted

API_KEY = "bfl-test-key"


class BflFake:
    """``statuses``: poll answers in order (the last one repeats). Each is a status string
    or a full poll body dict. ``Ready`` bodies get ``result.sample`` pointing at delivery."""

    def __init__(self, api: FakeServer, delivery: FakeServer, statuses: list[Any] | None = None) -> None:
        self.api = api
        self.delivery = delivery
        self.statuses = list(statuses or ["Pending", "Ready"])
        self.polls = 0
        self.image = png_bytes(32, 16, "red")
        self.submit_reply: Reply | None = None
        self.polling_url: str | None = None  # None: on the API fake itself
        api.route("POST", r"/v1/[\w.-]+", self._submit)
        api.route("GET", r"/v1/get_result", self._poll)
        delivery.route("GET", r"/samples/.+", lambda req: Reply(200, self.image, {"Content-Type": "image/png"}))

    def _authorized(self, req: Request) -> bool:
        return req.headers.get("x-key") == API_KEY

    def _submit(self, req: Request) -> Reply:
        if not self._authorized(req):
            return Reply.json({"detail": f"Invalid key {req.headers.get('x-key')}"}, status=403)
        if self.submit_reply is not None:
            return self.submit_reply
        polling_url = self.polling_url or f"{self.api.url}/v1/get_result?id=job-1"
        return Reply.json({"id": "job-1", "polling_url": polling_url})

    def _poll(self, req: Request) -> Reply:
        if not self._authorized(req):
            return Reply.json({"detail": "Not authenticated"}, status=401)
        answer = scripted(self.statuses, self.polls)
        self.polls += 1
        body = dict(answer) if isinstance(answer, dict) else {"id": "job-1", "status": answer}
        if body.get("status") == "Pending" and "progress" not in body:
            body["progress"] = 0.4
        if body.get("status") == "Ready" and "result" not in body:
            body["result"] = {"sample": f"{self.delivery.url}/samples/job-1.png?sig=abc", "seed": 42}
        return Reply.json(body)
