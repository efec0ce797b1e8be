"""The official ``openai`` package, unchanged, against a real HTTP server (uvicorn) and worker."""
import base64

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def openai_client(http_server, api_key):
    from openai import OpenAI

    return OpenAI(api_key=api_key[1], base_url=f"{http_server.url}/v1", max_retries=0, timeout=30)


def test_chat_completion(openai_client):
    response = openai_client.chat.completions.create(model="gpt-4o-mini", messages=[
        {"role": "system", "content": "You are an AI assistant who knows everything."},
        {"role": "user", "content": "Tell me, why is the sky blue?"}])

    assert response.choices[0].message.content
    assert response.usage.total_tokens > 0


def test_streamed_chat_with_usage(openai_client):
    stream = openai_client.chat.completions.create(model="gpt-4o-mini", stream=True,
                                                   stream_options={"include_usage": True},
                                                   messages=[{"role": "user", "content": "hi"}])
    chunks = list(stream)

    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0


def test_models_list_and_image_generation(openai_client):
    assert any(model.id for model in openai_client.models.list())

    image = openai_client.images.generate(model="gpt-image-1", prompt="a cat", size="1024x1024",
                                          response_format="b64_json")

    assert base64.b64decode(image.data[0].b64_json).startswith(b"\x89PNG")


def test_speech_then_transcription_round_trip(openai_client):
    speech = openai_client.audio.speech.create(model="tts-1", voice="alloy", input="The quick brown fox.",
                                               response_format="wav")
    audio = speech.read()
    assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE"

    transcript = openai_client.audio.transcriptions.create(model="whisper-1", file=("speech.wav", audio, "audio/wav"))

    assert "quick brown fox" in transcript.text.lower()


def test_errors_are_openai_errors(openai_client):
    import openai

    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    assert caught.value.body["code"] == "unsupported_model"
