"""The seeds' own curl / requests / fetch examples, host and key replaced, against the real
engine (catalog, credit holds, Dramatiq worker, simulated provider)."""
import base64
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tests.surfaces.doubles import sse_payloads

pytestmark = pytest.mark.django_db(transaction=True)


def _png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


def _mp3_upload(client) -> bytes:
    """An audio file to upload: the simulator's own speech output, fetched through the API."""
    response = client.get("/get-audio", {"text": "Hello world", "voice": "alex"})
    assert response.status_code == 200, response.content
    return response.content


def test_seed_000_fetch_text_generation(worker, client):
    response = client.post("/api/v1/task", {"model": "gpt-4", "messages": [
        {"role": "user", "content": "What is the capital of France?"}], "max_tokens": 50},
        content_type="application/json")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["object"] == "task.completion" and data["model"] == "gpt-4"
    assert data["choices"][0]["message"]["content"]
    assert data["usage"]["total_tokens"] == data["usage"]["prompt_tokens"] + data["usage"]["completion_tokens"] > 0
    assert response["X-Tollgate-Simulated"] == "true"


def test_seed_000_requests_flux_image_generation(worker, client):
    response = client.post("/api/v1/task", {"model": "flux-1-pro", "prompt": "A futuristic city at night with neon lights",
                                            "width": 1024, "height": 1024}, content_type="application/json")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["object"] == "image.generation"
    image_url = data["data"][0]["url"]
    assert _png(base64.b64decode(data["data"][0]["b64_json"])).size == (1024, 1024)
    assert Client().get(image_url.replace("http://testserver", "")).status_code == 200


def test_seed_000_curl_tts_then_multipart_stt(worker, client):
    speech = client.post("/api/v1/task", {"model": "eleven-labs-tts", "text": "Hello, this is a test of our text-to-speech API.",
                                          "voice": "adam"}, content_type="application/json")
    assert speech.status_code == 200, speech.content
    audio = base64.b64decode(speech.json()["audio"]["b64_json"])
    assert speech.json()["object"] == "speech.generation" and audio

    transcript = client.post("/api/v1/task", {"model": "eleven-labs-stt",
                                              "audio": SimpleUploadedFile("input.mp3", audio)})  # curl -F "audio=@input.mp3"

    assert transcript.status_code == 200, transcript.content
    assert transcript.json()["object"] == "transcription"
    assert "hello" in transcript.json()["text"].lower()


def test_seed_000_stream_true_sends_sse_chunks(worker, client):
    response = client.post("/api/v1/task", {"model": "gpt-4", "stream": True, "messages": [
        {"role": "user", "content": "Explain quantum computing in simple terms."}]}, content_type="application/json")

    payloads = sse_payloads(response)
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] in ("stop", "length")


def test_seed_003_images_generations_image_base64(worker, client):
    response = client.post("/images/generations", {"prompt": "Hyperrealistic art featuring a cat in costume.",
                                                   "model": "stabilityai/stable-diffusion-2-1"},
                           content_type="application/json")

    assert response.status_code == 200, response.content
    image_base64 = response.json()["output"]["choices"][0]["image_base64"]
    _png(base64.b64decode(image_base64))


def test_seed_003_tts_returns_audio_bytes(worker, client):
    response = client.post("/tts", {"model": "#g1_aura-asteria-en", "text": "Hi! I'm your friendly assistant."},
                           content_type="application/json")

    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("audio/") and len(response.content) > 100


def test_seed_004_imagine_returns_png(worker, client):
    response = client.get("/v1/imagine?prompt=A+beautiful+landscape&size=1:1&seed=123456&model=flux-realism")

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "image/png"
    image = _png(response.content)
    assert image.size[0] == image.size[1]


def test_seed_004_get_audio_returns_mpeg(worker, client):
    response = client.get("/get-audio?text=Hello+world&voice=sophia")

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "audio/mpeg"


def test_seed_004_suno_create_then_poll(worker, client):
    created = client.post("/v1/suno", {"model": "chirp-v3-5", "prompt": "A catchy pop song with upbeat rhythm",
                                       "instrumental": "false", "custom": "false"}, content_type="application/json")
    assert created.status_code == 200, created.content
    assert created.json()["status"] == "success"
    clip = created.json()["clips"][0]

    from apps.tasks.waiting import task_wait_sync
    task_wait_sync(task_id=clip, timeout_seconds=30)
    polled = client.get(f"/v1/suno/{clip}").json()

    assert polled["status"] == "finished" and polled["audio_url"]


def test_seed_004_check_key_usage(worker, client, api_key):
    client.post("/chat/completions", {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
                content_type="application/json")

    response = Client().get(f"/check?key={api_key[1]}")

    assert response.status_code == 200
    body = response.json()
    assert body["usage"]["requests"] == 1
    assert body["balance"]["currency"] == "usd" and Decimal(body["balance"]["amount"]) < 100


def test_seed_004_ask_streams_message_lines(worker, client):
    response = client.get("/v1/ask", {"prompt": "What is ChatGPT"})

    assert response["Content-Type"] == "text/event-stream"
    payloads = sse_payloads(response)
    assert payloads[-1] == "[DONE]"
    assert all(set(json.loads(p)) == {"message", "url"} for p in payloads[:-1])
    assert "".join(json.loads(p)["message"] for p in payloads[:-1])
