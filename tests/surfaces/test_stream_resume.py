"""A streamed chat resumed over real HTTP: the same Idempotency-Key replays the same task, and
Last-Event-ID (an ``id:`` line the stream sent) resumes after that event."""
from __future__ import annotations

import json

import httpx
import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def _stream(url: str, secret: str, **headers: str) -> list[tuple[str | None, dict | str]]:
    """(id, data) of each SSE event, ``[DONE]`` as the string."""
    events, event_id = [], None
    body = {"model": "gpt-4", "stream": True, "messages": [{"role": "user", "content": "Tell me about resuming."}]}
    with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=30,
                      headers={"Authorization": f"Bearer {secret}", **headers}) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                data = line[6:]
                events.append((event_id, data if data == "[DONE]" else json.loads(data)))
                event_id = None
    return events


def test_a_replayed_stream_resumes_after_the_last_event_id(http_server, api_key):
    first = _stream(http_server.url, api_key[1], **{"Idempotency-Key": "resume-1"})
    ids = [event_id for event_id, _ in first if event_id]
    assert len(ids) >= 3 and first[-1][1] == "[DONE]"

    resumed = _stream(http_server.url, api_key[1], **{"Idempotency-Key": "resume-1", "Last-Event-ID": ids[1]})

    assert [event_id for event_id, _ in resumed if event_id] == ids[2:]
    assert resumed[0][1]["id"] == first[0][1]["id"]  # the same task
    assert "role" not in resumed[0][1]["choices"][0]["delta"]  # no opening chunk: it was sent before
    assert resumed[-1][1] == "[DONE]"
