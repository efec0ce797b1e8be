"""The benchmark's fake upstream: its latency and the jitter diagnostic, driven through its ASGI app."""
import asyncio
import json

import pytest

from bench import fake_upstream


async def _call(path: str, payload: dict) -> dict:
    body = json.dumps(payload).encode()
    sent = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    await fake_upstream.app({"type": "http", "method": "POST", "path": path, "headers": []}, receive, send)
    return json.loads(sent[-1]["body"])


@pytest.fixture
def slept(monkeypatch):
    delays = []

    async def sleep(seconds):
        delays.append(seconds)

    monkeypatch.setattr(fake_upstream.asyncio, "sleep", sleep)
    monkeypatch.setattr(fake_upstream, "STATE", dict(fake_upstream.STATE))
    return delays


def _chat() -> dict:
    return {"model": "bench", "messages": [{"role": "user", "content": "hi"}]}


def test_latency_without_jitter_is_exact(slept):
    asyncio.run(_call("/_control", {"latency_ms": 2000}))
    for _ in range(5):
        reply = asyncio.run(_call("/v1/chat/completions", _chat()))
        assert reply["object"] == "chat.completion"
    assert slept == [2.0] * 5


def test_jitter_spreads_latency_around_the_same_mean(slept):
    state = asyncio.run(_call("/_control", {"latency_ms": 2000, "jitter_ms": 500}))
    assert state["jitter_ms"] == 500.0
    for _ in range(200):
        asyncio.run(_call("/v1/chat/completions", _chat()))
    assert all(1.5 <= delay <= 2.5 for delay in slept)
    assert max(slept) - min(slept) > 0.5  # spread, not one value
    assert abs(sum(slept) / len(slept) - 2.0) < 0.1
