import io
import wave

import httpx
import pytest

from apps.providers.adapters._openai_video import sora_seconds
from apps.providers.base import InputFile, ProviderError, ProviderRequest, ResultState
from apps.providers.registry import get_adapter
from tests.providers.fakes.media import FAKE_MP3, FAKE_MP4, form_fields, multipart_parts, png_bytes
from tests.providers.fakes.openai_fake import API_KEY, CHAT_PIECES, REQUEST_ID, TRANSCRIPT, OpenAIFake

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello"}]


@pytest.fixture
def fake():
    with OpenAIFake() as server:
        yield server


@pytest.fixture
def http():
    with httpx.Client() as client:
        yield client


def make_request(fake, kind="chat", params=None, *, model="gpt-4o-mini", files=None, api_key=API_KEY, timeout=5.0):
    return ProviderRequest(
        task_id="task_1",
        task_kind=kind,
        model=f"openai/{model}",
        upstream_model=model,
        params={"messages": MESSAGES} if params is None else params,
        files=files or {},
        credentials={"api_key": api_key} if api_key else {},
        base_url=fake.url,
        timeout_seconds=timeout,
    )


def run(fake, http, request, on_chunk=None):
    return get_adapter("openai").run(request, http, on_chunk)


def raised(fake, http, request, on_chunk=None) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        run(fake, http, request, on_chunk)
    return caught.value


# chat ------------------------------------------------------------------------
def test_chat_returns_text_usage_and_request_id(fake, http):
    result = run(fake, http, make_request(fake, params={"messages": MESSAGES, "max_tokens": 50, "n": 3, "temperature": 0.2}))

    assert result.state == ResultState.SUCCEEDED
    assert [o.text for o in result.outputs] == ["Hello, world!"]
    assert result.outputs[0].meta == {"finish_reason": "stop", "role": "assistant"}
    assert result.usage == {"input_tokens": 9, "output_tokens": 4, "requests": 1}
    assert result.provider_request_id == REQUEST_ID
    sent = fake.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.json() == {"messages": MESSAGES, "max_completion_tokens": 50, "temperature": 0.2, "model": "gpt-4o-mini"}


def test_chat_passes_vision_parts_tools_and_response_format_through(fake, http):
    vision = [{"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
    ]}]
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    params = {"messages": vision, "tools": tools, "tool_choice": "auto", "response_format": {"type": "json_object"}, "seed": 7}

    run(fake, http, make_request(fake, "vision", params))

    sent = fake.requests[0].json()
    assert sent["messages"] == vision and sent["tools"] == tools and sent["seed"] == 7
    assert sent["response_format"] == {"type": "json_object"} and sent["tool_choice"] == "auto"


def test_chat_returns_tool_calls_in_meta(fake, http):
    fake.scenario = "tool_calls"

    result = run(fake, http, make_request(fake))

    meta = result.outputs[0].meta
    assert meta["finish_reason"] == "tool_calls"
    assert meta["tool_calls"] == [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]
    assert result.outputs[0].text == ""


def test_streaming_chat_sends_deltas_in_order_and_reads_the_usage_chunk(fake, http):
    chunks = []

    result = run(fake, http, make_request(fake), chunks.append)

    assert chunks == CHAT_PIECES
    assert result.outputs[0].text == "Hello, world!"
    assert result.outputs[0].meta["finish_reason"] == "stop"
    assert result.usage == {"input_tokens": 9, "output_tokens": 4, "requests": 1}
    assert result.provider_request_id == REQUEST_ID
    sent = fake.requests[0]
    assert sent.json()["stream"] is True
    assert sent.json()["stream_options"] == {"include_usage": True}
    assert sent.headers["accept"] == "text/event-stream"


def test_streaming_chat_assembles_tool_call_fragments(fake, http):
    fake.scenario = "stream_tool_calls"
    chunks = []

    result = run(fake, http, make_request(fake), chunks.append)

    assert chunks == []
    assert result.outputs[0].meta["tool_calls"] == [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    ]
    assert result.outputs[0].meta["finish_reason"] == "tool_calls"


def test_stream_cut_before_usage_chunk_estimates_tokens(fake, http):
    fake.scenario = "stream_cut_before_usage"
    chunks = []

    result = run(fake, http, make_request(fake), chunks.append)

    assert chunks == CHAT_PIECES
    assert result.outputs[0].text == "Hello, world!"
    assert result.usage["estimated"] is True
    assert result.usage["output_tokens"] == 4  # "Hello" "," " world" "!" in cl100k_base
    assert 10 <= result.usage["input_tokens"] <= 25
    assert result.usage["requests"] == 1


def test_stream_dropped_mid_answer_is_retryable(fake, http):
    fake.scenario = "stream_dropped"
    chunks = []

    error = raised(fake, http, make_request(fake), chunks.append)

    assert chunks == ["Hello", ","]
    assert error.retryable is True
    assert error.code == "provider_stream_interrupted"


def test_error_event_mid_stream_is_retryable_provider_failure(fake, http):
    fake.scenario = "stream_error"
    chunks = []

    error = raised(fake, http, make_request(fake), chunks.append)

    assert chunks == ["Hello", ","]
    assert error.retryable is True
    assert error.status == 502
    assert error.code == "provider_stream_error"
    assert "server had an error" in error.message


def test_malformed_stream_event_is_a_bad_response(fake, http):
    fake.scenario = "stream_malformed"

    error = raised(fake, http, make_request(fake), lambda text: None)

    assert (error.status, error.retryable, error.code) == (502, False, "provider_bad_response")


# errors (shared by every endpoint) ---------------------------------------------
def test_bad_request_is_400_with_cleaned_message(fake, http):
    fake.scenario = "bad_request"

    error = raised(fake, http, make_request(fake))

    assert error.status == 400
    assert error.retryable is False
    assert error.message == "Invalid value for 'temperature': must be <= 2."
    assert error.upstream_status == 400


def test_rejected_key_is_502_auth_error_without_the_key(fake, http):
    error = raised(fake, http, make_request(fake, api_key="sk-wrong-secret-key"))

    assert (error.status, error.code, error.retryable) == (502, "provider_auth_error", False)
    assert "sk-wrong-secret-key" not in error.message


def test_missing_key_is_provider_not_configured(fake, http):
    error = raised(fake, http, make_request(fake, api_key=None))

    assert error.code == "provider_not_configured"
    assert fake.requests == []


def test_rate_limit_is_retryable_with_retry_after_ms(fake, http):
    fake.scenario = "rate_limited"

    error = raised(fake, http, make_request(fake), lambda text: None)

    assert error.retryable is True
    assert error.code == "provider_rate_limited"
    assert error.retry_after_seconds == 1.5


def test_insufficient_quota_is_not_retried_and_not_blamed_on_the_caller(fake, http):
    fake.scenario = "quota"

    error = raised(fake, http, make_request(fake))

    assert (error.status, error.retryable, error.code) == (502, False, "provider_quota_exceeded")


def test_server_error_is_retryable(fake, http):
    fake.scenario = "server_error"

    error = raised(fake, http, make_request(fake, "image_generation", {"prompt": "a cat"}, model="gpt-image-1"))

    assert (error.retryable, error.status, error.upstream_status) == (True, 502, 500)


def test_slow_response_times_out_as_retryable_504(fake, http):
    fake.scenario = "slow"

    error = raised(fake, http, make_request(fake, timeout=0.3))

    assert (error.status, error.retryable, error.code) == (504, True, "provider_timeout")


def test_malformed_json_body_is_502(fake, http):
    fake.scenario = "malformed"

    error = raised(fake, http, make_request(fake))

    assert (error.status, error.retryable, error.code) == (502, False, "provider_bad_response")


def test_unsupported_task_kind_is_refused_before_any_call(fake, http):
    error = raised(fake, http, make_request(fake, "music", {"prompt": "jazz"}))

    assert error.code == "provider_not_configured"
    assert fake.requests == []


# images ------------------------------------------------------------------------
def test_image_generation_maps_aspect_ratio_and_decodes_base64(fake, http):
    params = {"prompt": "a red square", "aspect_ratio": "3:2", "quality": "high", "n": 2}

    result = run(fake, http, make_request(fake, "image_generation", params, model="gpt-image-1"))

    sent = fake.requests[0]
    assert sent.path == "/v1/images/generations"
    assert sent.json() == {"model": "gpt-image-1", "prompt": "a red square", "size": "1536x1024", "n": 2, "quality": "high"}
    assert len(result.outputs) == 2
    image = result.outputs[0]
    assert (image.kind, image.mime_type, image.filename) == ("image", "image/png", "image-0.png")
    assert image.data == png_bytes(12, 8)
    assert image.meta == {"width": 12, "height": 8}
    assert result.usage == {"images": 2, "requests": 1, "input_tokens": 50, "output_tokens": 1056}


def test_reference_images_go_to_the_edits_endpoint_as_multipart(fake, http):
    files = {
        "image_urls[1]": InputFile("b.png", png_bytes(2, 2), "image/png"),
        "image_urls[0]": InputFile("a.png", png_bytes(1, 1), "image/png"),
    }
    params = {"prompt": "combine them", "image_urls": ["https://x/a.png", "https://x/b.png"], "aspect_ratio": "2:3"}

    result = run(fake, http, make_request(fake, "image_edit", params, model="gpt-image-1.5", files=files))

    sent = fake.requests[0]
    assert sent.path == "/v1/images/edits"
    assert form_fields(sent) == {"model": "gpt-image-1.5", "prompt": "combine them", "size": "1024x1536"}
    images = [(p.name, p.filename) for p in multipart_parts(sent) if p.filename]
    assert images == [("image[]", "a.png"), ("image[]", "b.png")]
    assert result.outputs[0].meta == {"width": 8, "height": 12}


# speech ------------------------------------------------------------------------
def test_text_to_speech_returns_audio_bytes_and_counts_characters(fake, http):
    params = {"text": "Hello there", "voice": "coral", "speed": 1.25}

    result = run(fake, http, make_request(fake, "text_to_speech", params, model="gpt-4o-mini-tts"))

    assert fake.requests[0].json() == {"model": "gpt-4o-mini-tts", "input": "Hello there", "voice": "coral", "speed": 1.25}
    audio = result.outputs[0]
    assert (audio.kind, audio.mime_type, audio.data, audio.filename) == ("audio", "audio/mpeg", FAKE_MP3, "speech.mp3")
    assert result.usage == {"characters": 11, "requests": 1}


def _wav(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes(b"\x00\x00" * int(8000 * seconds))
    return buffer.getvalue()


def test_whisper_transcription_reports_duration_usage(fake, http):
    files = {"file": InputFile("clip.wav", _wav(0.5), "audio/wav")}

    result = run(fake, http, make_request(fake, "speech_to_text", {"language": "en"}, model="whisper-1", files=files))

    sent = fake.requests[0]
    assert form_fields(sent) == {"model": "whisper-1", "language": "en"}
    assert [(p.name, p.filename, p.content_type) for p in multipart_parts(sent) if p.filename] == [("file", "clip.wav", "audio/wav")]
    assert result.outputs[0].text == TRANSCRIPT
    assert result.usage == {"requests": 1, "audio_seconds": "3.2"}


def test_token_billed_transcription_measures_audio_seconds_itself(fake, http):
    files = {"audio": InputFile("clip.wav", _wav(2.0), "audio/wav")}

    result = run(fake, http, make_request(fake, "speech_to_text", {}, model="gpt-4o-transcribe", files=files))

    assert result.usage == {"requests": 1, "audio_seconds": "2.00", "input_tokens": 40, "output_tokens": 6}


def test_plain_text_transcription_format(fake, http):
    files = {"file": InputFile("clip.wav", _wav(1.0), "audio/wav")}

    result = run(fake, http, make_request(fake, "speech_to_text", {"response_format": "srt"}, model="whisper-1", files=files))

    assert (result.outputs[0].text, result.outputs[0].mime_type) == (TRANSCRIPT, "application/x-subrip")
    assert result.usage["audio_seconds"] == "1.00"


def test_transcription_without_audio_is_refused(fake, http):
    error = raised(fake, http, make_request(fake, "speech_to_text", {}, model="whisper-1"))

    assert (error.status, fake.requests) == (400, [])


# Sora video --------------------------------------------------------------------
@pytest.mark.parametrize(("duration", "seconds"), [(None, None), (5, "4"), (10, "8"), (15, "12"), (20, "12"), (25, "12"), (3, "4")])
def test_sora_duration_maps_to_the_longest_length_not_above_it(duration, seconds):
    assert sora_seconds(duration) == seconds


def test_sora_submit_then_poll_to_a_downloaded_mp4(fake, http):
    adapter = get_adapter("openai")
    files = {"image_url": InputFile("ref.png", png_bytes(4, 4), "image/png")}
    request = make_request(fake, "video_generation", {"prompt": "a boat", "duration": 10, "aspect_ratio": "16:9"}, model="sora-2", files=files)

    submitted = adapter.run(request, http)
    running = adapter.poll(request, submitted.job, http)
    finished = adapter.poll(request, running.job, http)

    assert (submitted.state, submitted.progress, submitted.poll_after_seconds) == (ResultState.PENDING, 0, 1.5)
    assert submitted.job == {"video_id": "video_1", "seconds": "8"}
    create = fake.requests[0]
    assert form_fields(create) == {"prompt": "a boat", "model": "sora-2", "seconds": "8", "size": "1280x720"}
    assert [(p.name, p.filename) for p in multipart_parts(create) if p.filename] == [("input_reference", "ref.png")]
    assert (running.state, running.progress, running.poll_after_seconds) == (ResultState.PENDING, 40, 2.0)
    assert finished.state == ResultState.SUCCEEDED
    video = finished.outputs[0]
    assert (video.kind, video.mime_type, video.data) == ("video", "video/mp4", FAKE_MP4)
    assert video.meta == {"duration": "8", "width": 1280, "height": 720}
    assert finished.usage == {"seconds": "8", "requests": 1}
    download = fake.requests[-1]
    assert download.path == "/v1/videos/video_1/content"
    assert download.headers["authorization"] == f"Bearer {API_KEY}"


def _poll_to_the_end(fake, http):
    adapter = get_adapter("openai")
    request = make_request(fake, "video_generation", {"prompt": "a boat"}, model="sora-2-pro")
    job = adapter.run(request, http).job
    adapter.poll(request, job, http)
    with pytest.raises(ProviderError) as caught:
        adapter.poll(request, job, http)
    return caught.value


def test_failed_video_is_a_final_provider_error(fake, http):
    fake.video_outcome = "failed"

    error = _poll_to_the_end(fake, http)

    assert (error.status, error.retryable, error.code) == (502, False, "provider_job_failed")


def test_moderated_video_is_refused_as_the_callers_content(fake, http):
    fake.video_outcome = "moderated"

    error = _poll_to_the_end(fake, http)

    assert (error.status, error.code) == (400, "provider_content_refused")
    assert "moderation" in error.message


def test_polling_an_unknown_video_is_a_provider_failure(fake, http):
    request = make_request(fake, "video_generation", {"prompt": "x"}, model="sora-2")

    with pytest.raises(ProviderError) as caught:
        get_adapter("openai").poll(request, {"video_id": "video_404"}, http)

    assert (caught.value.status, caught.value.code) == (502, "provider_job_not_found")
