"""Inputs at the edges of what a request may carry: the documented error shape, never a 500."""
from __future__ import annotations

import json

import pytest

from apps.tasks.models import Task

pytestmark = pytest.mark.django_db(transaction=True)

MARKER_TEXT = "What does <|endoftext|> mean in GPT training data?"


def _post_json(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_a_special_token_marker_in_a_message_is_quoted_as_text(seeded, client):
    # bpe_openai's encode() refuses the marker: the quote failed and the API answered 500.
    response = _post_json(client, "/v1/tasks", {"model": "openai/gpt-4", "dry_run": True,
                                                 "input": {"messages": [{"role": "user", "content": MARKER_TEXT}]}})

    assert response.status_code == 200, response.content
    plain = _post_json(client, "/v1/tasks", {"model": "openai/gpt-4", "dry_run": True,
                                              "input": {"messages": [{"role": "user", "content": "What does mean?"}]}})
    assert float(response.json()["amount"]) > float(plain.json()["amount"])


def test_a_prompt_too_long_for_one_tokenizer_call_is_quoted(seeded, client):
    # A text of 1,000,000 characters or more made the tokenizer raise (a 500).
    response = _post_json(client, "/v1/tasks", {"model": "openai/gpt-4", "dry_run": True,
                                                 "input": {"messages": [{"role": "user", "content": "word " * 220_000}]}})

    assert response.status_code == 200, response.content


@pytest.mark.parametrize("path, body", [
    ("/v1/chat/completions", {"model": "gpt-4", "messages": [{"role": "user", "content": "x" * 5000}]}),
    ("/v1/tasks", {"model": "openai/gpt-4", "input": {"messages": [{"role": "user", "content": "x" * 5000}]}}),
    ("/api/v1/task", {"model": "gpt-4", "messages": [{"role": "user", "content": "x" * 5000}]}),
])
def test_a_body_over_the_limit_is_413_and_creates_nothing(seeded, client, settings, path, body):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096  # TOLLGATE_REQUEST_MAX_BYTES

    response = _post_json(client, path, body)

    assert response.status_code == 413, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "request_too_large")
    assert "4096 bytes" in error["message"]
    assert Task.objects.count() == 0


def test_form_fields_over_the_limit_are_413(seeded, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096

    response = client.post("/api/v1/task", data={"model": "gpt-4", "prompt": "x" * 5000})

    assert response.status_code == 413, response.content
    assert response.json()["error"]["code"] == "request_too_large"
