import httpx
import pytest

from apps.providers.adapters._anthropic_messages import DEFAULT_MAX_TOKENS
from apps.providers.base import ProviderError, ProviderRequest, ResultState
from apps.providers.registry import get_adapter
from tests.providers.fakes.anthropic_fake import API_KEY, API_VERSION, REQUEST_ID, TEXT_PIECES, AnthropicFake

MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Say hi"},
]


@pytest.fixture
def fake():
    with AnthropicFake() as server:
        yield server


@pytest.fixture
def http():
    with httpx.Client() as client:
        yield client


def make_request(fake, params=None, *, api_key=API_KEY, timeout=5.0, options=None):
    return ProviderRequest(
        task_id="task_1",
        task_kind="chat",
        model="anthropic/claude-3-haiku",
        upstream_model="claude-3-haiku-20240307",
        params={"messages": MESSAGES} if params is None else params,
        credentials={"api_key": api_key} if api_key else {},
        base_url=fake.url,
        timeout_seconds=timeout,
        options=options or {},
    )


def raised(http, request, on_chunk=None) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        get_adapter("anthropic").run(request, http, on_chunk)
    return caught.value


def test_message_lifts_system_and_sums_cached_input_tokens(fake, http):
    result = get_adapter("anthropic").run(make_request(fake, {"messages": MESSAGES, "stop": "END", "temperature": 0.5}), http)

    assert result.state == ResultState.SUCCEEDED
    assert result.outputs[0].text == "Hi there!"
    assert result.outputs[0].meta == {"finish_reason": "stop", "role": "assistant", "stop_reason": "end_turn"}
    assert result.usage == {"requests": 1, "input_tokens": 15, "output_tokens": 5}
    assert result.provider_request_id == REQUEST_ID
    sent = fake.requests[0]
    assert sent.path == "/v1/messages"
    assert (sent.headers["x-api-key"], sent.headers["anthropic-version"]) == (API_KEY, API_VERSION)
    assert "authorization" not in sent.headers
    assert sent.json() == {
        "model": "claude-3-haiku-20240307",
        "max_tokens": DEFAULT_MAX_TOKENS,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Say hi"}]}],
        "system": "Be brief.",
        "temperature": 0.5,
        "stop_sequences": ["END"],
    }


def test_callers_max_tokens_wins_and_route_default_applies_otherwise(fake, http):
    adapter = get_adapter("anthropic")
    adapter.run(make_request(fake, {"messages": MESSAGES, "max_tokens": 64}), http)
    adapter.run(make_request(fake, options={"default_max_tokens": 1000}), http)

    assert [r.json()["max_tokens"] for r in fake.requests] == [64, 1000]


def test_openai_shaped_tools_images_and_tool_results_are_converted(fake, http):
    messages = [
        {"role": "user", "content": [
            {"type": "text", "text": "Weather where this is?"},
            {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAAA"}},
        ]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "toolu_0", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}}]},
        {"role": "tool", "tool_call_id": "toolu_0", "content": "sunny"},
    ]
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": {"type": "object"}}}]

    get_adapter("anthropic").run(make_request(fake, {"messages": messages, "tools": tools, "tool_choice": "required"}), http)

    sent = fake.requests[0].json()
    assert sent["messages"] == [
        {"role": "user", "content": [
            {"type": "text", "text": "Weather where this is?"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "AAAA"}},
        ]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_0", "name": "get_weather", "input": {"city": "Rome"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_0", "content": "sunny"}]},
    ]
    assert sent["tools"] == [{"name": "get_weather", "input_schema": {"type": "object"}, "description": "Weather"}]
    assert sent["tool_choice"] == {"type": "any"}


def test_tool_use_reply_maps_to_tool_calls(fake, http):
    fake.scenario = "tool_use"

    result = get_adapter("anthropic").run(make_request(fake), http)

    meta = result.outputs[0].meta
    assert meta["finish_reason"] == "tool_calls"
    assert meta["tool_calls"] == [{"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]


def test_stream_sends_deltas_in_order_and_takes_cumulative_usage(fake, http):
    chunks = []

    result = get_adapter("anthropic").run(make_request(fake), http, chunks.append)

    assert chunks == TEXT_PIECES
    assert result.outputs[0].text == "Hi there!"
    assert result.outputs[0].meta["finish_reason"] == "stop"
    assert result.usage == {"requests": 1, "input_tokens": 12, "output_tokens": 7}
    assert fake.requests[0].json()["stream"] is True


def test_stream_assembles_tool_use_json(fake, http):
    fake.scenario = "stream_tool_use"

    result = get_adapter("anthropic").run(make_request(fake), http, lambda text: None)

    assert result.outputs[0].meta["tool_calls"] == [
        {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    ]
    assert result.outputs[0].meta["finish_reason"] == "tool_calls"


def test_max_tokens_stop_maps_to_length(fake, http):
    fake.scenario = "max_tokens"

    result = get_adapter("anthropic").run(make_request(fake), http, lambda text: None)

    assert result.outputs[0].meta["finish_reason"] == "length"


def test_error_event_mid_stream_is_retryable_overload(fake, http):
    fake.scenario = "stream_error"
    chunks = []

    error = raised(http, make_request(fake), chunks.append)

    assert chunks == ["Hi"]
    assert (error.retryable, error.status, error.code) == (True, 502, "provider_overloaded")


def test_stream_ending_before_stop_reason_is_retryable(fake, http):
    fake.scenario = "stream_cut"

    error = raised(http, make_request(fake), lambda text: None)

    assert (error.retryable, error.code) == (True, "provider_stream_interrupted")


def test_529_overloaded_is_retryable(fake, http):
    fake.scenario = "overloaded"

    error = raised(http, make_request(fake), lambda text: None)

    assert (error.retryable, error.status, error.upstream_status) == (True, 502, 529)


def test_429_is_retryable_with_retry_after(fake, http):
    fake.scenario = "rate_limited"

    error = raised(http, make_request(fake))

    assert (error.retryable, error.code, error.retry_after_seconds) == (True, "provider_rate_limited", 7.0)


def test_invalid_request_is_400_with_cleaned_message(fake, http):
    fake.scenario = "bad_request"

    error = raised(http, make_request(fake))

    assert (error.status, error.retryable, error.message) == (400, False, "messages.0.content: Field required")


def test_rejected_key_is_auth_error_without_the_key(fake, http):
    error = raised(http, make_request(fake, api_key="sk-ant-wrong-secret"))

    assert (error.status, error.code) == (502, "provider_auth_error")
    assert "sk-ant-wrong-secret" not in error.message


def test_slow_response_is_retryable_504(fake, http):
    fake.scenario = "slow"

    error = raised(http, make_request(fake, timeout=0.3))

    assert (error.status, error.retryable, error.code) == (504, True, "provider_timeout")


def test_malformed_body_is_502(fake, http):
    fake.scenario = "malformed"

    error = raised(http, make_request(fake))

    assert (error.status, error.retryable, error.code) == (502, False, "provider_bad_response")
