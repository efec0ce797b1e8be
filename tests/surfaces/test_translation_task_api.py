"""Seed 000/001's /api/v1/task: request → engine call, snapshot → response shape (engine stubbed)."""
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.core.errors import ApplicationError
from tests.surfaces.doubles import MP3_BYTES, PNG_BYTES, Event, file_snapshot, sse_payloads


def test_seed_000_json_text_request_answers_task_completion(client, fake_engine):
    # Given seed 000's JSON request for gpt-4
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": "Hello, world!"}],
            "max_tokens": 100, "temperature": 0.7}

    response = client.post("/api/v1/task", body, content_type="application/json")

    assert response.status_code == 200
    assert fake_engine.last["model"] == "gpt-4"
    assert fake_engine.last["params"] == {"messages": body["messages"], "max_tokens": 100, "temperature": 0.7}
    assert response.json() == {
        "id": "task_fake", "object": "task.completion", "created": 1700000000, "model": "gpt-4",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris."}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
    }
    assert response["X-Tollgate-Simulated"] == "true"


def test_image_task_answers_image_generation(client, fake_engine):
    fake_engine.snapshot = file_snapshot("image", "image_generation", PNG_BYTES, "image/png")

    response = client.post("/api/v1/task", {"model": "flux-1-pro", "prompt": "A sunset", "width": 1024,
                                            "height": 1024}, content_type="application/json")

    body = response.json()
    assert body["object"] == "image.generation" and body["model"] == "flux-1-pro"
    assert body["data"] == [{"url": "http://testserver/files/x.image", "b64_json": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="}]


def test_multipart_form_parses_json_fields_and_files(client, fake_engine):
    fake_engine.snapshot = file_snapshot("audio", "speech_to_speech", MP3_BYTES, "audio/mpeg")

    response = client.post("/api/v1/task", {
        "model": "eleven-labs-sts", "voice": "adam",
        "voice_settings": '{"stability": 0.5, "similarity_boost": 0.5}',
        "audio": SimpleUploadedFile("input.mp3", MP3_BYTES, content_type="audio/mpeg"),
    })

    assert response.status_code == 200
    assert response.json()["object"] == "speech.generation"
    call = fake_engine.last
    assert call["params"]["voice_settings"] == {"stability": 0.5, "similarity_boost": 0.5}
    assert call["params"]["audio"] == "upload://file"
    assert call["file_bytes"] == {"audio": MP3_BYTES}


def test_transcription_shape(client, fake_engine):
    fake_engine.snapshot = file_snapshot("audio", "speech_to_text", b"", "audio/mpeg")
    fake_engine.snapshot.outputs[0].kind, fake_engine.snapshot.outputs[0].text = "text", "hello world"
    fake_engine.snapshot.usage = {"audio_seconds": "1.5"}

    response = client.post("/api/v1/task", {"model": "eleven-labs-stt",
                                            "audio": SimpleUploadedFile("a.mp3", MP3_BYTES)})

    body = response.json()
    assert body["object"] == "transcription" and body["text"] == "hello world" and body["duration"] == 1.5


def test_pending_task_answers_202_with_poll_url(client, fake_engine):
    fake_engine.snapshot.state, fake_engine.snapshot.status = "pending", "running"

    response = client.post("/api/v1/task", {"model": "gpt-4", "messages": []}, content_type="application/json")

    assert response.status_code == 202
    assert response.json()["poll_url"] == "/v1/tasks/task_fake"
    assert response["Location"] == "/v1/tasks/task_fake"


def test_failed_task_answers_error_shape(client, fake_engine):
    fake_engine.snapshot.state, fake_engine.snapshot.error_code = "failed", "provider_timeout"
    fake_engine.snapshot.error_message = "The provider did not answer in time."

    response = client.post("/api/v1/task", {"model": "gpt-4", "messages": []}, content_type="application/json")

    assert response.status_code == 504
    assert response.json()["error"]["code"] == "provider_timeout"


def test_idempotency_key_is_passed_with_a_body_hash_and_replay_is_flagged(client, fake_engine):
    fake_engine.replayed = True

    response = client.post("/api/v1/task", {"model": "gpt-4", "messages": []}, content_type="application/json",
                           headers={"Idempotency-Key": "abc"})

    assert response["Idempotent-Replayed"] == "true"
    assert fake_engine.last["idempotency_key"] == "abc" and len(fake_engine.last["request_body_hash"]) == 64


def test_stream_true_answers_sse_chunks(client, fake_engine):
    fake_engine.events = [Event("1-0", "delta", {"text": "Hel"}), Event("2-0", "delta", {"text": "lo"}),
                          Event("3-0", "done", {"finish_reason": "stop", "usage": {"input_tokens": 1}})]

    response = client.post("/api/v1/task", {"model": "gpt-4", "messages": [], "stream": True},
                           content_type="application/json")

    assert response["Content-Type"] == "text/event-stream"
    payloads = sse_payloads(response)
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert chunks[0]["object"] == "task.completion.chunk"
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "Hello"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert fake_engine.last["stream"] is True


@pytest.mark.parametrize("headers,code", [({}, "missing_api_key"), ({"Authorization": "Bearer tg_live_nope"}, "invalid_api_key")])
def test_auth_errors_use_the_seed_000_shape(db, fake_engine, headers, code):
    from django.test import Client

    response = Client(headers=headers).post("/api/v1/task", {"model": "gpt-4"}, content_type="application/json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == code and response.json()["error"]["type"] == "authentication_error"


def test_engine_errors_render_with_their_status(client, fake_engine):
    fake_engine.error = ApplicationError("Unsupported task type: invalid-model", code="unsupported_model", status=404,
                                         param="model")

    response = client.post("/api/v1/task", {"model": "invalid-model"}, content_type="application/json")

    assert response.status_code == 404
    assert response.json() == {"error": {"message": "Unsupported task type: invalid-model",
                                         "type": "invalid_request_error", "code": "unsupported_model", "param": "model"}}


def test_bad_json_and_missing_model_are_400(client, fake_engine):
    bad = client.post("/api/v1/task", "{nope", content_type="application/json")
    missing = client.post("/api/v1/task", {"messages": []}, content_type="application/json")

    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_json"
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "model"


def test_wrong_method_is_json_405(client, fake_engine):
    response = client.get("/api/v1/task")

    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"
