"""A tiny real HTTP server for provider contract tests.

Each fake provider is a set of routes ``(method, path regex) -> handler(request) -> Reply``
served by a ThreadingHTTPServer on 127.0.0.1 with an ephemeral port. Handlers see the
raw method, path, query, headers and body, and reply with exact status, headers and bytes
(or a generator of byte chunks for streaming, flushed one by one)."""
from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Self, Sequence, TypeVar
from urllib.parse import parse_qs, urlparse


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0  # sleep before answering (slow-response tests)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> "Reply":
        return cls(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})

    @classmethod
    def sse(cls, events: Iterable[str], status: int = 200, chunk_delay: float = 0.0) -> "Reply":
        """``events`` are complete SSE event texts (each ending with a blank line)."""

        def gen() -> Iterable[bytes]:
            for event in events:
                if chunk_delay:
                    time.sleep(chunk_delay)
                yield event.encode()

        return cls(status, gen(), {"Content-Type": "text/event-stream"})


Handler = Callable[[Request], Reply]
Answer = TypeVar("Answer")


def scripted(answers: Sequence[Answer], index: int) -> Answer:
    """Answer number ``index`` of a scripted sequence (poll statuses...); past the end, the last repeats."""
    return answers[min(index, len(answers) - 1)]


class FakeServer:
    """Usage::

        with FakeServer() as server:
            server.route("POST", r"/v1/chat/completions", handler)
            base_url = server.url   # "http://127.0.0.1:PORT"
            ...
            server.requests          # every Request received, for assertions
    """

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.requests: list[Request] = []
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _serve(self) -> None:
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(
                    self.command,
                    parsed.path,
                    parse_qs(parsed.query, keep_blank_values=True),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                fake.requests.append(req)
                reply = fake._dispatch(req)
                if reply.delay_seconds:
                    time.sleep(reply.delay_seconds)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if isinstance(reply.body, (bytes, bytearray)):
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for chunk in reply.body:
                        self.wfile.write(f"{len(chunk):X}\r\n".encode() + chunk + b"\r\n")
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        class _Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # clients that drop or time out on purpose are part of the tests

        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method.upper(), re.compile(pattern + r"\Z"), handler))

    def _dispatch(self, req: Request) -> Reply:
        for method, pattern, handler in self.routes:
            if method == req.method and pattern.match(req.path):
                return handler(req)
        return Reply.json({"error": {"message": f"no fake route for {req.method} {req.path}"}}, status=404)

    def __enter__(self) -> "FakeServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()


class FakeProvider:
    """A fake provider running on one or more FakeServers (API, CDN, storage...): entering it
    starts them all, leaving stops them all."""

    def __init__(self, *servers: FakeServer) -> None:
        self.servers = servers

    def __enter__(self) -> Self:
        for server in self.servers:
            server.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        for server in self.servers:
            server.__exit__(*exc)


class SingleServerFake(FakeProvider):
    """A fake provider on one FakeServer, with its URL and the requests it received."""

    def __init__(self) -> None:
        self.server = FakeServer()
        super().__init__(self.server)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def requests(self) -> list[Request]:
        return self.server.requests
