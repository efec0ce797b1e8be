import httpx
import pytest

from apps.providers.base import ProviderError, ProviderRequest, ResultState
from apps.providers.registry import get_adapter
from tests.providers.fakes.mistral_fake import API_KEY, PIECES, MistralFake

MESSAGES = [{"role": "user", "content": "Dis bonjour"}]


@pytest.fixture
def fake():
    with MistralFake() as server:
        yield server


@pytest.fixture
def http():
    with httpx.Client() as client:
        yield client


def make_request(fake, params=None, *, api_key=API_KEY, timeout=5.0):
    return ProviderRequest(
        task_id="task_1",
        task_kind="chat",
        model="mistral/mixtral-8x7b",
        upstream_model="open-mixtral-8x7b",
        params={"messages": MESSAGES} if params is None else params,
        credentials={"api_key": api_key},
        base_url=fake.url,
        timeout_seconds=timeout,
    )


def raised(http, request, on_chunk=None) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        get_adapter("mistral").run(request, http, on_chunk)
    return caught.value


def test_chat_renames_seed_and_drops_fields_mistral_refuses(fake, http):
    params = {"messages": MESSAGES, "seed": 42, "max_tokens": 20, "user": "u1", "logit_bias": {}, "n": 2}

    result = get_adapter("mistral").run(make_request(fake, params), http)

    assert result.state == ResultState.SUCCEEDED
    assert result.outputs[0].text == "Bonjour le monde"
    assert result.outputs[0].meta == {"finish_reason": "stop", "role": "assistant"}
    assert result.usage == {"input_tokens": 11, "output_tokens": 3, "requests": 1}
    sent = fake.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.json() == {"messages": MESSAGES, "random_seed": 42, "max_tokens": 20, "model": "open-mixtral-8x7b"}


def test_stream_takes_usage_from_the_final_chunk_without_stream_options(fake, http):
    chunks = []

    result = get_adapter("mistral").run(make_request(fake, {"messages": MESSAGES, "stream_options": {"include_usage": True}}), http, chunks.append)

    assert chunks == PIECES
    assert result.usage == {"input_tokens": 11, "output_tokens": 3, "requests": 1}
    assert "stream_options" not in fake.requests[0].json()
    assert fake.requests[0].json()["stream"] is True


def test_stream_cut_before_the_final_chunk_is_retryable(fake, http):
    fake.scenario = "stream_cut"
    chunks = []

    error = raised(http, make_request(fake), chunks.append)

    assert chunks == PIECES
    assert (error.retryable, error.code) == (True, "provider_stream_interrupted")


@pytest.mark.parametrize("streamed", [False, True])
def test_finish_reason_error_is_a_retryable_generation_failure(fake, http, streamed):
    fake.scenario = "finish_error"

    error = raised(http, make_request(fake), (lambda text: None) if streamed else None)

    assert (error.retryable, error.status, error.code) == (True, 502, "provider_generation_failed")


def test_invalid_model_is_400_with_mistral_message(fake, http):
    fake.scenario = "bad_model"

    error = raised(http, make_request(fake))

    assert (error.status, error.message) == (400, "Invalid model: open-mixtral-8x7b")


def test_rate_limit_is_retryable_with_retry_after(fake, http):
    fake.scenario = "rate_limited"

    error = raised(http, make_request(fake), lambda text: None)

    assert (error.retryable, error.retry_after_seconds) == (True, 3.0)


def test_503_is_retryable(fake, http):
    fake.scenario = "unavailable"

    error = raised(http, make_request(fake))

    assert (error.retryable, error.upstream_status) == (True, 503)


def test_rejected_key_is_auth_error_without_the_key(fake, http):
    error = raised(http, make_request(fake, api_key="mistral-wrong-secret"))

    assert (error.status, error.code) == (502, "provider_auth_error")
    assert "mistral-wrong-secret" not in error.message


def test_slow_response_is_retryable_504(fake, http):
    fake.scenario = "slow"

    error = raised(http, make_request(fake, timeout=0.3))

    assert (error.status, error.retryable) == (504, True)


def test_malformed_body_is_502(fake, http):
    fake.scenario = "malformed"

    error = raised(http, make_request(fake))

    assert (error.status, error.retryable, error.code) == (502, False, "provider_bad_response")
