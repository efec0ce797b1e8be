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


BAD_BODIES = [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}], "temperature": NaN}', "NaN"),
    ('{"model": "gpt-4", "messages": [{"role": "user", "content": "hi \\ud800"}]}', "surrogate"),
]


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/tasks", "/api/v1/task", "/v1/audio/speech"])
@pytest.mark.parametrize("raw, says", BAD_BODIES)
def test_json_that_python_reads_but_no_request_may_hold_is_400(seeded, client, path, raw, says):
    # Each was a 500: a RecursionError, NaN stored as a float, a string no UTF-8 write accepts.
    response = client.post(path, data=raw, content_type="application/json")

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and says in error["message"]
    assert Task.objects.count() == 0


@pytest.mark.parametrize("raw", ["[]", '"text"', "1", "null"])
def test_a_tasks_body_that_is_not_an_object_is_400(seeded, client, raw):
    response = client.post("/v1/tasks", data=raw, content_type="application/json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("value", ["yes", 1, ["include_usage"]])
def test_stream_options_must_be_an_object(seeded, client, value):
    response = _post_json(client, "/v1/chat/completions", {"model": "gpt-4", "stream": True, "stream_options": value,
                                                            "messages": [{"role": "user", "content": "hi"}]})

    assert response.status_code == 400, response.content
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == ("invalid_type", "stream_options")
    assert Task.objects.count() == 0


# PostgreSQL refuses NUL in text and JSON columns: each of these was a 500 there (not on SQLite).
NUL_URLS = ["/v1/imagine?prompt=a%00b", "/v1/imagine2?prompt=a%00b", "/v1/ask?prompt=a%00b",
            "/v1/imagine?prompt=cat&model=a%00b", "/v1/tasks/task_%00", "/v1/suno/a%00b", "/v1/tasks?model=a%00b"]


@pytest.mark.parametrize("url", NUL_URLS)
def test_a_nul_character_in_an_api_url_is_400(seeded, client, url):
    response = client.get(url)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_character"
    assert Task.objects.count() == 0


def test_a_nul_character_in_another_url_is_400_too(db, client):
    response = client.get("/dashboard/?q=%00")

    assert response.status_code == 400 and b"NUL" in response.content


@pytest.mark.parametrize("path, body", [
    ("/v1/chat/completions", {"model": "gpt-4", "messages": [{"role": "user", "content": "a\u0000b"}]}),
    ("/api/v1/task", {"model": "gpt-4", "messages": [{"role": "user", "content": "a\u0000b"}]}),
    ("/v1/tasks", {"model": "openai/gpt-4", "input": {"messages": [{"role": "user", "content": "hi"}]},
                   "webhook_url": "https://example.com/a\u0000"}),
])
def test_a_nul_character_in_a_json_body_is_400(seeded, client, path, body):
    response = _post_json(client, path, body)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_character"
    assert Task.objects.count() == 0


@pytest.mark.parametrize("path, model", [("/api/v1/task", "flux-1-pro"), ("/v1/tasks", "black-forest-labs/flux-1-pro")])
def test_a_nul_character_in_a_form_field_is_400(seeded, client, path, model):
    response = client.post(path, data={"model": model, "prompt": "a\x00b"})

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_character"
    assert Task.objects.count() == 0


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/api/v1/task"])
def test_a_stream_resumed_after_an_id_no_stream_gave_is_400_before_any_task(seeded, client, path):
    # Redis refused the id once the response had begun: a cut stream, and a task billed for it.
    response = client.post(path, data=json.dumps({"model": "gpt-4", "stream": True,
                                                  "messages": [{"role": "user", "content": "hi"}]}),
                           content_type="application/json", HTTP_LAST_EVENT_ID="garbage")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_last_event_id"
    assert Task.objects.count() == 0


@pytest.mark.parametrize("path, body", [
    ("/v1/tasks", {"model": "openai/gpt-4", "input": {"messages": [{"role": "user", "content": "hi"}]}}),
    ("/v1/chat/completions", {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}),
])
def test_an_idempotency_key_longer_than_its_column_is_400(seeded, client, settings, path, body):
    # PostgreSQL refused the 256th character (varchar(255)): a 500 there, not on SQLite.
    settings.TOLLGATE_SYNC_WAIT_SECONDS = 0.01
    too_long = client.post(path, data=json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k" * 256)

    assert too_long.status_code == 400, too_long.content
    assert too_long.json()["error"]["code"] == "invalid_idempotency_key"
    assert Task.objects.count() == 0
    longest = client.post(path, data=json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k" * 255)
    assert longest.status_code in (200, 202) and Task.objects.get().idempotency_key == "k" * 255
