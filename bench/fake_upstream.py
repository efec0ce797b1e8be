"""A local fake OpenAI-compatible upstream for the benchmark: a tiny ASGI app served by uvicorn.

Speaks ``POST /v1/chat/completions`` (one JSON reply, or SSE chunks with a final usage chunk
when ``stream`` is true) and ``GET /v1/models``. Its latency (time before the first byte) is set
at start (``--latency-ms``) and changed at run time with ``POST /_control {"latency_ms": N}``,
so one process serves every phase of a run. Run it as a single process: the latency lives in
memory. ``{"jitter_ms": J}`` spreads each latency uniformly over ±J ms (same mean): a diagnostic
of how much the 256-client phase loses to clients finishing in waves; ``make bench`` leaves it 0.

    python -m bench.fake_upstream --port 8765 --latency-ms 0
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from typing import Any

STATE: dict[str, Any] = {"latency_ms": 0.0, "token_delay_ms": 0.0, "jitter_ms": 0.0, "calls": 0}
REPLY_TOKENS = ["Hello", " from", " the", " bench", " upstream", "."]
PROMPT_TOKENS = 12


def _completion_id() -> str:
    STATE["calls"] += 1
    return f"chatcmpl-bench{STATE['calls']}"


def _usage() -> dict[str, int]:
    return {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": len(REPLY_TOKENS),
            "total_tokens": PROMPT_TOKENS + len(REPLY_TOKENS)}


async def _read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send_json(send, status: int, payload: Any, headers: list | None = None) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                + (headers or [])})
    await send({"type": "http.response.body", "body": body})


async def _chat(send, request: dict[str, Any]) -> None:
    model = request.get("model") or "bench"
    completion_id, created = _completion_id(), int(time.time())
    if STATE["latency_ms"]:
        jitter = random.uniform(-STATE["jitter_ms"], STATE["jitter_ms"]) if STATE["jitter_ms"] else 0.0
        await asyncio.sleep(max(STATE["latency_ms"] + jitter, 0.0) / 1000.0)
    if not request.get("stream"):
        await _send_json(send, 200, {
            "id": completion_id, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "".join(REPLY_TOKENS)}}],
            "usage": _usage(),
        }, headers=[(b"x-request-id", completion_id.encode())])
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"),
                            (b"x-request-id", completion_id.encode())]})

    async def event(payload: Any, more: bool = True) -> None:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        await send({"type": "http.response.body", "body": f"data: {data}\n\n".encode(), "more_body": more})

    base = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model}
    await event({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})
    for token in REPLY_TOKENS:
        if STATE["token_delay_ms"]:
            await asyncio.sleep(STATE["token_delay_ms"] / 1000.0)
        await event({**base, "choices": [{"index": 0, "delta": {"content": token}, "finish_reason": None}]})
    await event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    if (request.get("stream_options") or {}).get("include_usage"):
        await event({**base, "choices": [], "usage": _usage()})
    await event("[DONE]", more=False)


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path, method = scope["path"], scope["method"]
    body = await _read_body(receive)
    if method == "POST" and path.endswith("/chat/completions"):
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            await _send_json(send, 400, {"error": {"message": "malformed JSON", "type": "invalid_request_error"}})
            return
        await _chat(send, request)
    elif path.endswith("/models"):
        await _send_json(send, 200, {"object": "list", "data": [{"id": "bench", "object": "model", "owned_by": "bench"}]})
    elif path == "/_control":
        if method == "POST":
            update = json.loads(body or b"{}")
            for key in ("latency_ms", "token_delay_ms", "jitter_ms"):
                if key in update:
                    STATE[key] = float(update[key])
        await _send_json(send, 200, STATE)
    else:
        await _send_json(send, 404, {"error": {"message": f"no route {method} {path}"}})


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--token-delay-ms", type=float, default=0.0)
    args = parser.parse_args()
    STATE["latency_ms"], STATE["token_delay_ms"] = args.latency_ms, args.token_delay_ms
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                backlog=4096, timeout_keep_alive=30)


if __name__ == "__main__":
    main()
