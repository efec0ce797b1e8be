"""Malformed or hostile input on every task-creating surface: a client error in seed 000's
shape, never a 500 or an HTML page. A sweep over field values of the wrong type, size or
content (it found the NaN, surrogate, nesting and ``stream_options`` 500s)."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

SURFACES = {
    "/v1/tasks": {"model": "openai/gpt-4", "input": {"messages": [{"role": "user", "content": "hi"}]}},
    "/api/v1/task": {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]},
    "/v1/chat/completions": {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]},
    "/v1/images/generations": {"model": "flux-1-pro", "prompt": "a cat"},
    "/images/generations": {"model": "flux-1-pro", "prompt": "a cat"},
    "/v1/audio/speech": {"model": "tts-1", "input": "hello", "voice": "alloy"},
    "/tts": {"model": "tts-1", "text": "hello", "voice": "alloy"},
    "/v1/suno": {"prompt": "a song"},
}
FIELDS = ["model", "messages", "prompt", "input", "max_tokens", "n", "stream", "stream_options", "webhook_url",
          "dry_run", "response_format", "size", "voice"]
VALUES = [None, -1, 1e308, 10**30, True, "", "x" * 5000, "a\u0000b", [], [1], {"a": 1}, "99999x99999",
          [{"role": "user", "content": {"a": 1}}], [{"role": 5, "content": "x"}], ["hi"]]


def _server_side_failures(response, what) -> list:
    content_type = response.get("Content-Type", "")
    if response.status_code >= 500 or (response.status_code >= 400 and "json" not in content_type):
        return [(what, response.status_code, response.content[:120])]
    return []


@pytest.mark.parametrize("path", list(SURFACES))
def test_no_field_value_makes_a_server_error(seeded, client, settings, path):
    settings.TOLLGATE_SYNC_WAIT_SECONDS = 0.01  # no worker here: an accepted task answers 202 at once
    failures = []
    for field in FIELDS:
        for value in VALUES:
            body = {**SURFACES[path], field: value}
            response = client.post(path, data=json.dumps(body), content_type="application/json")
            failures += _server_side_failures(response, (field, repr(value)[:30]))
    assert failures == []
