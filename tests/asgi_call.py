"""One request through an ASGI application, called in this thread as uvicorn calls it."""
from __future__ import annotations

import asyncio


def asgi_status(app, method: str, path: str, *, body: bytes = b"", headers: tuple = ()) -> int:
    """Serves one request through ``app`` and returns the response's status. The client stays
    connected: the view's answer ends the request, as with a kept-alive connection."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), *headers], "client": ("127.0.0.1", 5555),
             "server": ("testserver", 80)}
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"]
