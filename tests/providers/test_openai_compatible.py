import httpx
import pytest

from apps.providers.base import ProviderError, ProviderRequest, ResultState
from apps.providers.registry import get_adapter
from tests.providers.fakes.openai_fake import CHAT_PIECES, OpenAIFake

MESSAGES = [{"role": "user", "content": "Say hello"}]


@pytest.fixture
def fake():
    with OpenAIFake(api_key=None) as server:  # a local vLLM/Ollama needs no key
        yield server


@pytest.fixture
def http():
    with httpx.Client() as client:
        yield client


def make_request(base_url, kind="chat", params=None, *, credentials=None, options=None, timeout=5.0):
    return ProviderRequest(
        task_id="task_1",
        task_kind=kind,
        model="meta/llama-3.1-8b",
        upstream_model="meta-llama/Llama-3.1-8B-Instruct",
        params={"messages": MESSAGES, "max_tokens": 10, "top_k": 5} if params is None else params,
        credentials=credentials or {},
        base_url=base_url,
        timeout_seconds=timeout,
        options=options or {},
    )


def test_missing_base_url_is_provider_not_configured(http):
    with pytest.raises(ProviderError) as caught:
        get_adapter("openai_compatible").run(make_request(None), http)

    assert caught.value.code == "provider_not_configured"
    assert caught.value.retryable is False


def test_chat_without_key_keeps_max_tokens_and_server_specific_params(fake, http):
    result = get_adapter("openai_compatible").run(make_request(fake.url), http)

    assert result.outputs[0].text == "Hello, world!"
    assert result.usage == {"input_tokens": 9, "output_tokens": 4, "requests": 1}
    sent = fake.requests[0]
    assert "authorization" not in sent.headers
    assert sent.json() == {"messages": MESSAGES, "max_tokens": 10, "top_k": 5, "model": "meta-llama/Llama-3.1-8B-Instruct"}


def test_key_is_sent_as_bearer_when_configured(http):
    with OpenAIFake(api_key="hosted-key") as hosted:
        get_adapter("openai_compatible").run(make_request(hosted.url, credentials={"api_key": "hosted-key"}), http)

        assert hosted.requests[0].headers["authorization"] == "Bearer hosted-key"


def test_stream_without_usage_option_estimates_tokens(fake, http):
    chunks = []

    result = get_adapter("openai_compatible").run(make_request(fake.url, options={"stream_usage": False}), http, chunks.append)

    assert chunks == CHAT_PIECES
    assert "stream_options" not in fake.requests[0].json()
    assert result.usage["estimated"] is True
    assert result.usage["output_tokens"] == 4


def test_stream_with_usage_chunk(fake, http):
    chunks = []

    result = get_adapter("openai_compatible").run(make_request(fake.url), http, chunks.append)

    assert chunks == CHAT_PIECES
    assert result.usage == {"input_tokens": 9, "output_tokens": 4, "requests": 1}


def test_images_when_the_server_offers_them(fake, http):
    result = get_adapter("openai_compatible").run(make_request(fake.url, "image_generation", {"prompt": "a cat"}), http)

    assert result.state == ResultState.SUCCEEDED
    assert result.outputs[0].mime_type == "image/png"
    assert fake.requests[0].path == "/v1/images/generations"


@pytest.mark.parametrize(
    ("params", "size"),
    [
        ({"prompt": "a cat", "size": "1:1"}, "1024x1024"),  # seed 004's imagine: size is a ratio
        ({"prompt": "a cat", "size": "16:9"}, "1344x768"),
        ({"prompt": "a cat", "size": "9:21"}, "640x1536"),
        ({"prompt": "a cat", "width": 512, "height": 768}, "512x768"),  # the flux1 schema's width/height
        ({"prompt": "a cat", "size": "768x768"}, "768x768"),
    ],
)
def test_image_size_is_sent_as_pixels(fake, http, params, size):
    result = get_adapter("openai_compatible").run(make_request(fake.url, "image_generation", params), http)

    assert result.state == ResultState.SUCCEEDED
    assert fake.requests[0].json() == {"model": "meta-llama/Llama-3.1-8B-Instruct", "prompt": "a cat", "size": size}


@pytest.mark.parametrize(
    ("scenario", "status", "retryable"),
    [("bad_request", 400, False), ("rate_limited", 502, True), ("server_error", 502, True), ("malformed", 502, False), ("slow", 504, True)],
)
def test_error_classes(fake, http, scenario, status, retryable):
    fake.scenario = scenario

    with pytest.raises(ProviderError) as caught:
        get_adapter("openai_compatible").run(make_request(fake.url, timeout=0.3), http)

    assert (caught.value.status, caught.value.retryable) == (status, retryable)


def test_unreachable_server_is_retryable(http):
    with pytest.raises(ProviderError) as caught:
        get_adapter("openai_compatible").run(make_request("http://127.0.0.1:9/v1"), http)

    assert (caught.value.code, caught.value.retryable) == ("provider_unreachable", True)


def test_video_is_not_offered(fake, http):
    with pytest.raises(ProviderError) as caught:
        get_adapter("openai_compatible").run(make_request(fake.url, "video_generation", {"prompt": "x"}), http)

    assert caught.value.code == "provider_not_configured"
    assert fake.requests == []
