"""The official ``openai`` package, unchanged, against a real HTTP server (uvicorn) and worker."""
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

    image = openai_client.images.generate(model="openai/gpt-image-1", prompt="a cat", size="1024x1024",
                                          response_format="b64_json")

    assert image.data[0].b64_json


def test_errors_are_openai_errors(openai_client):
    import openai

    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    assert caught.value.body["code"] == "unsupported_model"
